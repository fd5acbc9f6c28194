"""A photo of a posted board: cleaned like a slide image, then made small.

Pure function (no Flask, no database). The upload goes through the screens' own
checks (:func:`signage.screens.media.clean_image`: decoded completely, never trusted
by name, a decompression bomb refused from its header, EXIF and every other metadata
chunk dropped, the orientation applied first), then is scaled down: a board on a wall
needs no 12-megapixel proof, and a small JPEG keeps no more of the room than needed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from ..errors import Invalid
from ..screens.media import UploadPolicy, clean_image

LONG_SIDE = 1600  # pixels: the photo's longer side after scaling down
QUALITY = 85


@dataclass(frozen=True)
class PhotoPolicy:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 40_000_000
    long_side: int = LONG_SIDE


def clean_photo(raw: bytes, policy: PhotoPolicy) -> bytes:
    """A baseline JPEG without metadata, at most ``long_side`` pixels on its longer
    side. Raises :class:`Invalid` (field ``photo``) with a message for the user."""
    try:
        image = clean_image(raw, UploadPolicy(policy.max_bytes, policy.max_pixels))
    except Invalid as e:
        raise Invalid(e.message, field="photo") from None
    with Image.open(io.BytesIO(image.data)) as img:
        img.load()
        if img.mode in ("RGBA", "LA", "P"):
            # A transparent PNG: flatten on white (a photo has no transparency).
            rgba = img.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            out_img = flat
        else:
            out_img = img.convert("RGB")
        out_img.thumbnail(
            (policy.long_side, policy.long_side), Image.Resampling.LANCZOS
        )
        buf = io.BytesIO()
        out_img.save(buf, "JPEG", quality=QUALITY, progressive=False)
    return buf.getvalue()
