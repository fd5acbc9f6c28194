"""Uploads: only real PNG/JPEG/WebP, size and pixel limits, EXIF gone, random names."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from sqlalchemy import select

from signage.accounts.models import Role
from signage.screens.media import UploadPolicy, clean_image
from signage.screens.models import Media, Slide
from signage.screens.renders import media_dir
from tests.helpers import csrf_token, login


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that claims w x h pixels with almost no data: the shape of a bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", idat)
        + chunk(b"IEND", b"")
    )


def _jpeg(w: int = 800, h: int = 600, exif: bool = False) -> bytes:
    img = Image.new("RGB", (w, h), (30, 120, 200))
    buf = io.BytesIO()
    kw = {}
    if exif:
        ex = Image.Exif()
        ex[0x010F] = "Camera maker"  # Make
        ex[0x8825] = {2: (16.0, 28.0, 0.0)}  # GPS latitude: personal data
        ex[0x0112] = 6  # orientation: rotate 90
        kw["exif"] = ex.tobytes()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture
def editor_client(client, make_user, make_loop):
    login(client, make_user(Role.EDITOR))
    loop = make_loop([], publish=False)
    return client, loop


def _upload(client, loop, name, data, kind="image", **fields):
    url = f"/screens/loops/{loop.id}/slides/new?kind={kind}"
    resp = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "image": (io.BytesIO(data), name),
            "duration": "10",
            "background": "#000000",
            "foreground": "#ffffff",
            "weekdays": [str(i) for i in range(7)],
            "enabled": "y",
            **fields,
        },
        content_type="multipart/form-data",
    )
    return resp


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("poster.svg", SVG, "không phải ảnh PNG, JPEG hoặc WebP"),
        ("poster.png", HTML, "không phải ảnh PNG, JPEG hoặc WebP"),
        ("bomb.png", _png_header_only(30_000, 30_000), "Ảnh quá lớn"),
        ("big.png", _png_header_only(8_000, 6_000), "tối đa 40 megapixel"),
        ("cut.jpg", _jpeg()[:3000], "bị hỏng"),
        ("empty.jpg", b"", "Hãy chọn một tệp ảnh"),
    ],
)
def test_malicious_or_broken_uploads_are_refused_with_a_message(
    editor_client, session, name, data, message
):
    client, loop = editor_client
    resp = _upload(client, loop, name, data)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert session.scalar(select(Media.id)) is None
    assert session.scalar(select(Slide.id)) is None


def test_a_photo_is_stored_reencoded_without_exif_under_a_name_of_its_own(
    editor_client, session, app
):
    client, loop = editor_client
    resp = _upload(client, loop, "ảnh chụp.jpg", _jpeg(exif=True))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    media = session.scalar(select(Media))
    assert media is not None and len(media.filename) == 36
    assert media.filename == media.sha256[:32] + ".jpg"  # the content's, not the name
    assert "chụp" not in media.filename
    with Image.open(media_dir(app) / media.filename) as stored:
        assert not stored.getexif()
        assert "exif" not in stored.info
        # The orientation tag was applied before it was dropped.
        assert stored.size == (600, 800) == (media.width, media.height)


def test_transparent_png_stays_png_and_webp_is_accepted():
    png = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(png, "PNG")
    image = clean_image(png.getvalue(), UploadPolicy())
    assert image.mime == "image/png"
    assert Image.open(io.BytesIO(image.data)).mode == "RGBA"
    webp = io.BytesIO()
    Image.new("RGB", (10, 10), (9, 9, 9)).save(webp, "WEBP")
    assert clean_image(webp.getvalue(), UploadPolicy()).mime == "image/jpeg"


def test_over_20_mb_is_refused(editor_client):
    client, loop = editor_client
    resp = _upload(
        client, loop, "huge.jpg", b"\xff\xd8" + b"0" * (20 * 1024 * 1024 + 10)
    )
    assert resp.status_code == 422
    assert "lớn hơn 20 MB" in resp.get_data(as_text=True)
    resp.request.input_stream.close()  # the test client spooled the body to a file


def test_request_over_the_server_limit_gets_413_page(editor_client, app):
    client, loop = editor_client
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = _upload(client, loop, "x.jpg", _jpeg())
    assert resp.status_code == 413
    assert "Tệp quá lớn" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_date": "2026-05-02", "end_date": "2026-05-01"}, "trước ngày bắt đầu"),
        ({"qr_venue": "ZZZZZZZZZZ"}, "Không có địa điểm nào mang mã này"),
    ],
)
def test_a_refused_form_leaves_no_image_file(
    editor_client, session, app, fields, message
):
    client, loop = editor_client
    resp = _upload(
        client, loop, "anh.jpg", _jpeg(), "poster", title="Ngày hội 5K", **fields
    )
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    media = media_dir(app)
    assert not media.exists() or not any(media.iterdir())
    assert session.scalar(select(Media.id)) is None


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _jpeg_with_every_segment(with_icc: bool) -> bytes:
    """A JPEG carrying COM, EXIF, XMP, IPTC (Photoshop APP13) and an ICC profile,
    each naming a sentinel a stored file must not contain."""
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # The profile's description tag is free text: put a sentinel in the raw bytes'
    # tail (an ICC reader ignores what no tag points at).
    icc = icc + b"SENTINEL-ICC"
    icc = struct.pack(">I", len(icc)) + icc[4:]
    ex = Image.Exif()
    ex[0x010F] = "SENTINEL-EXIF"
    plain = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(
        plain, "JPEG", exif=ex.tobytes(), **({"icc_profile": icc} if with_icc else {})
    )
    data = plain.getvalue()
    extra = (
        _segment(0xFE, b"SENTINEL-COM")
        + _segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>SENTINEL-XMP</x:xmpmeta>",
        )
        + _segment(
            0xED,
            b"Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x11"
            b"\x1c\x02\x78\x00\x0dSENTINEL-IPTC\x00",
        )
    )
    return data[:2] + extra + data[2:]  # right after SOI


def _jpeg_markers(data: bytes) -> list[int]:
    """The markers of a JPEG's header segments, up to the start of scan."""
    markers, pos = [], 2
    while pos < len(data):
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: pixels follow
            break
        markers.append(marker)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


@pytest.mark.parametrize("with_icc", [True, False], ids=["icc", "no-icc"])
def test_every_metadata_segment_is_stripped_from_an_uploaded_jpeg(
    editor_client, with_icc
):
    client, loop = editor_client
    raw = _jpeg_with_every_segment(with_icc)
    # The test file really carries what the stored one must not.
    for sentinel in (b"COM", b"EXIF", b"XMP", b"IPTC", b"ICC")[: 5 if with_icc else 4]:
        assert b"SENTINEL-" + sentinel in raw
    assert {0xFE, 0xE1, 0xED} | ({0xE2} if with_icc else set()) <= set(
        _jpeg_markers(raw)
    )

    resp = _upload(client, loop, "meta.jpg", raw)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    folder = media_dir(client.application)
    (stored_file,) = [p for p in folder.iterdir() if p.suffix == ".jpg"]
    stored = stored_file.read_bytes()
    assert b"SENTINEL" not in stored
    # Only the JFIF header, tables and frame: no APPn beyond APP0, no COM.
    assert {m for m in _jpeg_markers(stored) if 0xE1 <= m <= 0xEF or m == 0xFE} == set()
    with Image.open(io.BytesIO(stored)) as img:
        assert not img.getexif()
        assert not {"comment", "xmp", "icc_profile", "exif", "photoshop"} & set(
            img.info
        )


def test_png_text_exif_and_icc_chunks_are_stripped():
    from PIL import ImageCms, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SENTINEL-TEXT")
    info.add_itxt("XML:com.adobe.xmp", "SENTINEL-XMP", zip=False)
    ex = Image.Exif()
    ex[0x010F] = "SENTINEL-EXIF"
    buf = io.BytesIO()
    Image.new("RGBA", (32, 32), (0, 0, 255, 128)).save(
        buf,
        "PNG",
        pnginfo=info,
        exif=ex.tobytes(),
        icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
    )
    assert b"SENTINEL-TEXT" in buf.getvalue()
    clean = clean_image(buf.getvalue(), UploadPolicy())
    assert clean.mime == "image/png"
    assert b"SENTINEL" not in clean.data
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP"):
        assert chunk not in clean.data
