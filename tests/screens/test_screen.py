"""Slides as pixels: exact sizes, QR at integer modules that decode, text limits."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from signage.screens import screen
from signage.screens.screen import SIZES, SlideSpec, content_key, qr_image, render

LONG = "Quét mã để cài ứng dụng Huế-S và nhận thông tin chiến dịch. " * 20


@pytest.mark.parametrize("size", [*SIZES, "1366x768"])
def test_every_kind_renders_at_exactly_the_target_size(size, tmp_path):
    w, h = screen.parse_size(size)
    pic = tmp_path / "p.png"
    Image.new("RGB", (400, 300), (200, 40, 40)).save(pic)
    for spec in (
        SlideSpec(
            "poster", title="Cài đặt ứng dụng", body=LONG, qr_payload="https://a.vn/x"
        ),
        SlideSpec("poster", title="Ảnh", image_path=str(pic), image_sha="1"),
        SlideSpec("image", image_path=str(pic), image_sha="1"),
        SlideSpec(
            "qr", title="Check-in", qr_payload="HTTPS://QR.EXAMPLE.VN/C/ABCDEFGHJK"
        ),
    ):
        img = render(spec, w, h)
        assert img.size == (w, h) and img.mode == "RGB"


@pytest.mark.parametrize("size", list(SIZES))
def test_qr_slide_decodes_to_its_payload(size):
    payload = "HTTPS://QR.EXAMPLE.VN/C/ABCDEFGHJK"
    w, h = SIZES[size]
    img = render(SlideSpec("qr", title="Quét mã", qr_payload=payload), w, h)
    # Through JPEG too: what the player actually shows.
    jpeg = Image.open(io.BytesIO(screen.encode_jpeg(img)))
    assert [r.text for r in zxingcpp.read_barcodes(jpeg)] == [payload]


def test_qr_is_drawn_at_an_integer_number_of_pixels_per_module():
    img = qr_image("HTTPS://QR.EXAMPLE.VN/C/ABCDEFGHJK", 700)
    n = 25 + 2 * screen.QUIET_ZONE  # version 2 (alphanumeric), quiet zone 4
    assert img.width == img.height and img.width % n == 0 and img.width <= 700
    scale = img.width // n
    px = img.convert("L").load()
    # Every module is a uniform scale x scale block.
    for my in range(n):
        for mx in range(n):
            x0, y0 = mx * scale, my * scale
            first = px[x0, y0]
            assert first in (0, 255)
            assert px[x0 + scale - 1, y0 + scale - 1] == first


def test_long_text_stays_at_least_3_5_percent_of_height_and_is_cut_with_ellipsis():
    fit = screen._fit("", LONG, screen.Box(0, 0, 1000, 500), min_px=38)
    assert fit.body_px == 38
    screen._truncate(fit, screen.Box(0, 0, 1000, 500))
    assert fit.height() <= 500 and fit.body_lines[-1].endswith("…")


def test_short_text_grows_to_fill_the_box():
    fit = screen._fit("Tiêu đề", "Một dòng", screen.Box(0, 0, 1600, 900), min_px=38)
    assert fit.body_px > 60


def test_image_is_letterboxed_on_the_background(tmp_path):
    pic = tmp_path / "wide.png"
    Image.new("RGB", (1000, 100), (255, 0, 0)).save(pic)
    img = render(
        SlideSpec("image", background="#00ff00", image_path=str(pic), image_sha="x"),
        1080,
        1920,
    )
    assert img.getpixel((540, 40)) == (0, 255, 0)  # band above the picture
    assert img.getpixel((540, 960)) == (255, 0, 0)  # the picture, centred


def test_content_key_follows_content_and_size_not_the_file_path():
    a = SlideSpec("poster", title="A", image_path="/x/1.jpg", image_sha="s")
    b = SlideSpec("poster", title="A", image_path="/y/2.jpg", image_sha="s")
    assert content_key(a, 1920, 1080) == content_key(b, 1920, 1080)
    assert content_key(a, 1920, 1080) != content_key(a, 1080, 1920)
    assert content_key(a, 1920, 1080) != content_key(
        SlideSpec("poster", title="B"), 1920, 1080
    )


def test_jpeg_is_baseline_srgb():
    img = Image.open(
        io.BytesIO(
            screen.encode_jpeg(render(SlideSpec("poster", title="A"), 720, 1280))
        )
    )
    assert "progressive" not in img.info and "progression" not in img.info
    assert img.info.get("icc_profile")


@pytest.mark.parametrize("bad", ["1920", "10x10", "99999x1080", "axb", ""])
def test_parse_size_refuses_nonsense(bad):
    with pytest.raises(ValueError):
        screen.parse_size(bad)


def test_decomposed_vietnamese_renders_like_precomposed():
    import unicodedata

    from PIL import ImageChops

    text = "Quét mã để cài ứng dụng – Phường Thuận Hóa"
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    a = render(SlideSpec("poster", title=text, body=text), 1280, 720)
    b = render(SlideSpec("poster", title=nfd, body=nfd), 1280, 720)
    assert ImageChops.difference(a, b).getbbox() is None
    # ...and the marks are drawn: the text differs from the same text without them.
    plain = render(
        SlideSpec(
            "poster",
            title="Quet ma de cai ung dung – Phuong Thuan Hoa",
            body="Quet ma de cai ung dung – Phuong Thuan Hoa",
        ),
        1280,
        720,
    )
    assert ImageChops.difference(a, plain).getbbox() is not None
