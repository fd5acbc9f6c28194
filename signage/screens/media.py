"""Uploaded images: verified by decoding (never by name), re-encoded, stored by hash.

Only PNG, JPEG and WebP are accepted; SVG never (it is a document that can carry
script). The image is decoded completely, so a renamed HTML page or a truncated file is
refused here rather than when a screen renders it; the pixel count is checked from the
header before decoding, so a decompression bomb never gets its memory.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import Invalid
from .models import Media

FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class UploadPolicy:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000


def _decode(raw: bytes, policy: UploadPolicy) -> Image.Image:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(raw), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise Invalid(
                f"Ảnh quá lớn: tối đa {_mp(policy)} megapixel.",
                field="image",
            ) from e
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
            raise Invalid(
                "Tệp không phải ảnh PNG, JPEG hoặc WebP.", field="image"
            ) from e
        w, h = img.size
        if w * h > policy.max_pixels:
            raise Invalid(
                f"Ảnh quá lớn ({w}×{h}): tối đa {_mp(policy)} megapixel.",
                field="image",
            )
        try:
            img.load()
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            raise Invalid(
                "Ảnh bị hỏng hoặc chưa tải lên đủ. Hãy xuất lại ảnh rồi thử lại.",
                field="image",
            ) from e
    return img


def _mp(policy: UploadPolicy) -> int:
    return policy.max_pixels // 1_000_000


def _to_srgb(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    if not icc:
        return img
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        dst = ImageCms.createProfile("sRGB")
        mode = "RGBA" if img.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(
            img.convert(mode), src, dst, outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img
    return converted or img  # None only when converting in place, which we do not


@dataclass(frozen=True)
class CleanImage:
    """An upload that passed :func:`clean_image`, not yet stored."""

    data: bytes
    mime: str
    width: int
    height: int


def clean_image(raw: bytes, policy: UploadPolicy) -> CleanImage:
    """Verify and re-encode an upload (in memory: nothing is written).

    EXIF and every other metadata segment or chunk (COM, XMP, IPTC, ICC after the
    conversion to sRGB, PNG text) are dropped (the orientation is applied first);
    images with transparency stay PNG, everything else becomes JPEG.
    Raises :class:`Invalid` with a message for the user.
    """
    if len(raw) > policy.max_bytes:
        raise Invalid(
            f"Tệp lớn hơn {policy.max_bytes // (1024 * 1024)} MB.",
            field="image",
        )
    if not raw:
        raise Invalid("Hãy chọn một tệp ảnh.", field="image")
    img = _decode(raw, policy)
    img = ImageOps.exif_transpose(img)
    img = _to_srgb(img)
    alpha = img.mode in ("RGBA", "LA") or (
        img.mode == "P" and "transparency" in img.info
    )
    buf = io.BytesIO()
    # Pillow's encoders carry some of the decoded ``info`` over (JPEG writes its
    # comment back, PNG its ICC profile and text): the re-encoded file starts from
    # pixels alone, with no COM, XMP, IPTC, EXIF, ICC or text of the upload's.
    img = img.convert("RGBA" if alpha else "RGB")
    img.info = {}
    if alpha:
        img.save(buf, "PNG", optimize=False)
        mime = "image/png"
    else:
        img.save(buf, "JPEG", quality=92, progressive=False)
        mime = "image/jpeg"
    return CleanImage(buf.getvalue(), mime, img.width, img.height)


def store_image(
    session: Session, media_dir: Path, image: CleanImage, user_id: int | None = None
) -> Media:
    """Write a cleaned image to ``media_dir`` once (deduplicated by content) and
    return its row. Call it only once everything else about the form is valid: the
    file is written now, whatever becomes of the transaction.

    The file is named by its content's hash, never by the uploaded name: when the
    transaction loses a race (two editors uploading the same picture) and the request
    runs again, the second run finds the same file instead of leaving one behind."""
    data, mime, w, h = image.data, image.mime, image.width, image.height
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(select(Media).where(Media.sha256 == digest))
    if existing is not None and (media_dir / existing.filename).is_file():
        return existing
    ext = ".png" if mime == "image/png" else ".jpg"
    filename = digest[:32] + ext
    media_dir.mkdir(parents=True, exist_ok=True)
    # Written aside, then renamed: a reader never sees half a file, and two writers
    # of the same picture never write into one temporary file.
    tmp = media_dir / f"{filename}.{secrets.token_hex(4)}.tmp"
    tmp.write_bytes(data)
    tmp.replace(media_dir / filename)
    if existing is not None:  # row survived, file lost: point it at the new file
        existing.filename = filename
        session.flush()
        return existing
    media = Media(
        sha256=digest,
        filename=filename,
        mime=mime,
        width=w,
        height=h,
        size_bytes=len(data),
        uploaded_by=user_id,
    )
    session.add(media)
    session.flush()
    return media
