"""E-poster slides as pixels (Pillow): plain slide data + a screen size -> an image.

Knows nothing of Flask or the database. Layout rules:
- title-safe margins of 5 % of the width left and right, 5 % of the height top and
  bottom (overscanning TVs cut up to that);
- landscape puts the image/QR column on the right, portrait puts it below the text;
  the column takes what its content needs (a QR is square), and gives up room (down
  to 30 %) before the text would be cut;
- text wraps on words (long words break by character), avoids a one-word last line
  when the line above can spare a word, and shrinks to fit, but never below 3.5 % of
  the screen height. What still does not fit is reported by :func:`fits` (the portal
  warns and refuses to publish it); the render ends it with an ellipsis;
- uploaded images are letterboxed (contained, centred) on the slide's background;
- QR codes are drawn at an integer number of pixels per module with NEAREST scaling,
  dark on a white quiet zone of 4 modules, whatever the slide's colours.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageDraw, ImageFont

from ..fonts import BOLD, REGULAR
from ..qr import make as make_qr
from ..text import wrap

# Bump when the layout changes: every cached render and its URL change with it.
RENDERER_VERSION = 7
SIZES: dict[str, tuple[int, int]] = {
    "1920x1080": (1920, 1080),
    "1080x1920": (1080, 1920),
    "1280x720": (1280, 720),
    "720x1280": (720, 1280),
}
MIN_SIDE, MAX_SIDE = 240, 4096
MIN_TEXT_RATIO = 0.035  # of the screen height
SAFE_MARGIN = (
    0.05  # title-safe area: of the width at the sides, of the height above/below
)
MEDIA_MIN = 0.30  # the image/QR column or band gives up room down to this share
QUIET_ZONE = 4


@dataclass(frozen=True)
class SlideSpec:
    kind: str  # "poster" | "image" | "qr"
    title: str = ""
    body: str = ""
    background: str = "#0b5394"
    foreground: str = "#ffffff"
    image_path: str = ""  # a verified, re-encoded upload
    image_sha: str = ""  # its content hash (the cache key, not the path)
    qr_payload: str = ""
    qr_caption: str = ""
    # A venue's check-in code, printed under its QR for people who cannot scan it.
    qr_code: str = ""


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' -> (1920, 1080); ValueError outside 240..4096 pixels a side."""
    w_text, sep, h_text = text.lower().strip().partition("x")
    if not sep or not w_text.isdigit() or not h_text.isdigit():
        raise ValueError(f"size must look like 1920x1080: {text!r}")
    w, h = int(w_text), int(h_text)
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise ValueError(f"each side must be {MIN_SIDE} to {MAX_SIDE} pixels")
    return w, h


def content_key(spec: SlideSpec, width: int, height: int) -> str:
    """Hash of everything that changes the pixels (the image by content, not path)."""
    data = asdict(spec)
    data.pop("image_path")
    data.update(w=width, h=height, v=RENDERER_VERSION)
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:32]


@lru_cache(maxsize=256)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(BOLD if bold else REGULAR), size)


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


def render(spec: SlideSpec, width: int, height: int) -> Image.Image:
    """The slide as an RGB image of exactly ``width`` x ``height`` pixels."""
    bg = _colour(spec.background, (11, 83, 148))
    fg = _colour(spec.foreground, (255, 255, 255))
    img = Image.new("RGB", (width, height), bg)
    inner = _safe_area(width, height)
    min_px = _min_px(height)
    if spec.kind == "image":
        _paste_contained(img, spec.image_path, inner)
        return img
    if spec.kind == "video":  # its still: the title on its colours (the film plays)
        title = spec.title or "Video"
        _draw_text(img, title, "", inner, fg, min_px, True, 1.0, round(height * 0.09))
        return img
    if spec.kind == "qr":
        _qr_layout(img, spec, inner, fg, min_px)
        return img
    _poster_layout(img, spec, inner, fg, min_px)
    return img


def _safe_area(width: int, height: int) -> Box:
    mx, my = round(width * SAFE_MARGIN), round(height * SAFE_MARGIN)
    return Box(mx, my, width - 2 * mx, height - 2 * my)


def _min_px(height: int) -> int:
    return max(8, round(height * MIN_TEXT_RATIO))


def fits(spec: SlideSpec, width: int, height: int) -> bool:
    """True when every word of the slide's text shows at this size (at or above the
    3.5 % floor), a QR's caption and typed code included; False when the render
    would have to cut it."""
    box, min_px = _safe_area(width, height), _min_px(height)
    if spec.kind in ("image", "video"):
        return True
    if spec.kind == "qr":
        qr_box = box
        if spec.title:
            title = _nfc(spec.title)
            budget, max_px = _qr_title_budget(box)
            fit = _fit(title, "", Box(box.x, box.y, box.w, budget), min_px, 1.0, max_px)
            if fit.height() > budget:
                return False
            qr_box = _qr_rest(box, min(budget, fit.height()))
        return not spec.qr_payload or _qr_block_fits(spec, qr_box, min_px)
    text_box, media = _poster_boxes(spec, box, min_px)
    if media is not None and spec.qr_payload:
        _img_box, qr_box = _media_boxes(spec, box, media)
        if not _qr_block_fits(spec, qr_box, min_px):
            return False
    title, body = _nfc(spec.title), _nfc(spec.body)
    if not title and not body:
        return True
    return _fit(title, body, text_box, min_px).height() <= text_box.h


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def _colour(value: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
    v = value.strip().lstrip("#")
    if len(v) != 6:
        return default
    try:
        return (int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16))
    except ValueError:
        return default


def _media_need(spec: SlideSpec, box: Box, portrait: bool, min_px: int) -> float:
    """The share of the box's height (portrait) or width (landscape) the media
    would like: what a QR block or the contained image actually fills, at most half
    (portrait) or 42 % (landscape)."""
    cap = 0.5 if portrait else 0.42
    if not portrait:
        return cap
    if spec.image_path and spec.qr_payload:
        return cap
    if spec.qr_payload:
        full = Box(box.x, box.y, box.w, round(box.h * cap))
        return min(cap, _qr_block_height(spec, full, min_px) / box.h)
    if spec.image_path and Path(spec.image_path).is_file():
        with Image.open(spec.image_path) as src:
            iw, ih = src.size
        return min(cap, box.w * ih / max(1, iw) / box.h)
    return cap


def _split(box: Box, share: float, portrait: bool) -> tuple[Box, Box]:
    """(text box, media box) with ``share`` of the box for the media."""
    gap = round(box.h * 0.03) if portrait else round(box.w * 0.04)
    if portrait:  # media below the text
        media_h = round(box.h * share)
        return (
            Box(box.x, box.y, box.w, box.h - media_h - gap),
            Box(box.x, box.y + box.h - media_h, box.w, media_h),
        )
    col_w = round(box.w * share)  # landscape: media column on the right
    return (
        Box(box.x, box.y, box.w - col_w - gap, box.h),
        Box(box.x + box.w - col_w, box.y, col_w, box.h),
    )


def _poster_boxes(spec: SlideSpec, box: Box, min_px: int) -> tuple[Box, Box | None]:
    """Where the text and the media go. The media takes what it needs, and shrinks
    (to MEDIA_MIN) while the text would otherwise be cut."""
    if not (spec.image_path or spec.qr_payload):
        return box, None
    portrait = box.w < box.h
    title, body = _nfc(spec.title), _nfc(spec.body)
    share = _media_need(spec, box, portrait, min_px)
    text_box, media = _split(box, share, portrait)
    while share > MEDIA_MIN and (title or body):
        if _fit(title, body, text_box, min_px).height() <= text_box.h:
            break
        share = max(MEDIA_MIN, share - 0.04)
        text_box, media = _split(box, share, portrait)
    return text_box, media


def _media_boxes(spec: SlideSpec, box: Box, media: Box) -> tuple[Box, Box]:
    """(image box, QR box) in a poster's media area: side by side or stacked when
    it has both, else the whole area for the one it has."""
    if not (spec.image_path and spec.qr_payload):
        return media, media
    gap = round(box.w * 0.04) if box.w > box.h else round(box.h * 0.03)
    if media.w >= media.h:
        half = (media.w - gap) // 2
        return (
            Box(media.x, media.y, half, media.h),
            Box(media.x + half + gap, media.y, half, media.h),
        )
    half = (media.h - gap) // 2
    return (
        Box(media.x, media.y, media.w, half),
        Box(media.x, media.y + half + gap, media.w, half),
    )


def _poster_layout(
    img: Image.Image, spec: SlideSpec, box: Box, fg: tuple[int, int, int], min_px: int
) -> None:
    text_box, media = _poster_boxes(spec, box, min_px)
    if media is not None:
        img_box, qr_box = _media_boxes(spec, box, media)
        if spec.image_path:
            _paste_contained(img, spec.image_path, img_box)
        if spec.qr_payload:
            _draw_qr_block(img, spec, qr_box, fg, min_px)
    _draw_text(img, spec.title, spec.body, text_box, fg, min_px, centre=False)


def _qr_rest(box: Box, text_h: int) -> Box:
    """What a QR slide leaves for the code and its caption under a headline."""
    gap = round(box.h * 0.03)
    return Box(box.x, box.y + text_h + gap, box.w, box.h - text_h - gap)


def _qr_layout(
    img: Image.Image, spec: SlideSpec, box: Box, fg: tuple[int, int, int], min_px: int
) -> None:
    """Headline, code and caption as one group, centred vertically."""
    if not spec.title:
        _draw_qr_block(img, spec, box, fg, min_px)
        return
    title = _nfc(spec.title)
    budget, max_px = _qr_title_budget(box)
    fit = _fit(title, "", Box(box.x, box.y, box.w, budget), min_px, 1.0, max_px)
    text_h = min(budget, fit.height())
    rest = _qr_rest(box, text_h)
    gap = rest.y - box.y - text_h
    group_h = text_h + gap + _qr_block_height(spec, rest, min_px)
    top = box.y + max(0, (box.h - group_h) // 2)
    _draw_text(
        img, title, "", Box(box.x, top, box.w, text_h), fg, min_px, True, 1.0, max_px
    )
    _draw_qr_block(
        img, spec, Box(box.x, top + text_h + gap, box.w, rest.h), fg, min_px, top=True
    )


def _qr_title_budget(box: Box) -> tuple[int, int]:
    """Height for a QR slide's headline, and its largest size (the minimum size
    applies to it directly)."""
    return round(box.h * (0.16 if box.w >= box.h else 0.14)), round(box.h * 0.09)


CAPTION_LINES = 2  # a QR's free caption; the typed code is never cut


@dataclass
class _Caption:
    """The lines under a QR: its caption (regular) and the check-in code to type
    (the instruction, then the code alone in bold, read from across a lobby)."""

    lines: list[tuple[str, bool]]  # (text, bold)
    height: int
    size: int
    whole: bool  # False: the caption needed more than CAPTION_LINES lines


def _caption(spec: SlideSpec, box: Box, min_px: int) -> _Caption:
    size = max(min_px, round(box.h * 0.05))
    regular, bold = _font(False, size), _font(True, size)
    lines: list[tuple[str, bool]] = []
    whole = True
    if spec.qr_caption:
        text = wrap(_nfc(spec.qr_caption), regular.getlength, box.w)
        whole = len(text) <= CAPTION_LINES
        if not whole:
            text = text[:CAPTION_LINES]
            last = text[-1].rstrip(" .,;:")
            while last and regular.getlength(last + "…") > box.w:
                last = last[:-1]
            text[-1] = last + "…"
        lines += [(t, False) for t in text]
    if spec.qr_code:
        # The code is the last word of its line ("... nhập mã ABCDEFGHJK").
        words = _nfc(spec.qr_code).split()
        lines += [
            (t, False) for t in wrap(" ".join(words[:-1]), regular.getlength, box.w)
        ]
        lines += [(t, True) for t in wrap(words[-1], bold.getlength, box.w)]
    if not lines:
        return _Caption([], 0, size, True)
    # Lines every 1.3 em below a 0.4 em gap; the last one down to its descender
    # (marks below Vietnamese vowels) so it stays inside the title-safe area.
    extent = max(sum(f.getmetrics()) for f in (regular, bold))
    height = size * 0.4 + (len(lines) - 1) * round(size * 1.3) + extent
    return _Caption(lines, math.ceil(height), size, whole)


def _qr_block_height(spec: SlideSpec, box: Box, min_px: int) -> int:
    caption_h = _caption(spec, box, min_px).height
    return qr_side(spec.qr_payload, max(1, min(box.w, box.h - caption_h))) + caption_h


def _qr_block_fits(spec: SlideSpec, box: Box, min_px: int) -> bool:
    """The caption shows whole, and the code keeps room for at least 3 pixels a
    module under the caption and the code to type."""
    cap = _caption(spec, box, min_px)
    n = _qr_base(spec.qr_payload).width
    return cap.whole and min(box.w, box.h - cap.height) >= 3 * n


def _draw_qr_block(
    img: Image.Image,
    spec: SlideSpec,
    box: Box,
    fg: tuple[int, int, int],
    min_px: int,
    top: bool = False,
) -> None:
    """A QR code as large as fits (integer pixels per module) with its caption,
    centred in the box (or at its top)."""
    if not spec.qr_payload:
        return
    cap = _caption(spec, box, min_px)
    qr = qr_image(spec.qr_payload, max(1, min(box.w, box.h - cap.height)))
    x = box.x + (box.w - qr.width) // 2
    y = box.y if top else box.y + max(0, (box.h - cap.height - qr.height) // 2)
    img.paste(qr, (x, y))
    draw = ImageDraw.Draw(img)
    ty = y + qr.height + round(cap.size * 0.4)
    for line, bold in cap.lines:
        font = _font(bold, cap.size)
        tw = draw.textlength(line, font=font)
        draw.text((box.x + (box.w - tw) / 2, ty), line, font=font, fill=fg)
        ty += round(cap.size * 1.3)


@lru_cache(maxsize=64)
def _qr_base(payload: str) -> Image.Image:
    """The code at one pixel per module with its quiet zone (cached: a loop shows the
    same few codes at every size)."""
    qr = make_qr(payload)
    rows = [bytes(255 if not dark else 0 for dark in row) for row in qr.matrix]
    n = len(rows) + 2 * QUIET_ZONE
    base = Image.new("L", (n, n), 255)
    base.paste(
        Image.frombytes("L", (len(rows), len(rows)), b"".join(rows)),
        (QUIET_ZONE, QUIET_ZONE),
    )
    return base


def qr_side(payload: str, max_px: int) -> int:
    """The side in pixels of :func:`qr_image` for the same arguments."""
    n = _qr_base(payload).width
    return n * max(1, max_px // n)


def qr_image(payload: str, max_px: int) -> Image.Image:
    """The QR (error level M, 4-module quiet zone) at the largest integer scale that
    fits in ``max_px`` pixels (at least 1 pixel per module)."""
    base = _qr_base(payload)
    side = qr_side(payload, max_px)
    return base.resize((side, side), Image.Resampling.NEAREST).convert("RGB")


def _paste_contained(img: Image.Image, path: str, box: Box) -> None:
    if not path or not Path(path).is_file():
        return
    with Image.open(path) as src:
        src.load()
        pic = src.convert("RGBA") if src.mode in ("RGBA", "LA", "P") else src
        pic = pic.convert("RGBA") if pic.mode != "RGBA" else pic
    scale = min(box.w / pic.width, box.h / pic.height)
    size = (max(1, round(pic.width * scale)), max(1, round(pic.height * scale)))
    pic = pic.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    x = box.x + (box.w - size[0]) // 2
    y = box.y + (box.h - size[1]) // 2
    img.paste(pic, (x, y), pic)


@dataclass
class _Fit:
    title_lines: list[str]
    body_lines: list[str]
    title_px: int
    body_px: int

    def height(self) -> int:
        t = len(self.title_lines) * self.title_px * 1.2 if self.title_lines else 0
        gap = self.body_px * 0.8 if self.title_lines and self.body_lines else 0
        b = len(self.body_lines) * self.body_px * 1.35
        return round(t + gap + b)


def _layout(
    title: str, body: str, box: Box, body_px: int, title_ratio: float = 1.6
) -> _Fit:
    title_px = round(body_px * title_ratio)
    tf, bf = _font(True, title_px), _font(False, body_px)
    return _Fit(
        _no_orphan(wrap(title, tf.getlength, box.w), tf.getlength, box.w),
        _no_orphan(wrap(body, bf.getlength, box.w), bf.getlength, box.w),
        title_px,
        body_px,
    )


def _no_orphan(lines: list[str], measure: Any, width: int) -> list[str]:
    """Avoid a one-word last line: bring the previous line's last word down when
    that line keeps at least two words and the pair fits."""
    if len(lines) < 2 or " " in lines[-1].strip() or not lines[-1].strip():
        return lines
    prev = lines[-2].split(" ")
    if len(prev) < 3:
        return lines
    moved = f"{prev[-1]} {lines[-1]}"
    if measure(moved) > width:
        return lines
    return [*lines[:-2], " ".join(prev[:-1]), moved]


def _fit(
    title: str,
    body: str,
    box: Box,
    min_px: int,
    title_ratio: float = 1.6,
    max_px: int | None = None,
) -> _Fit:
    """The largest body size (title ``title_ratio`` times larger) whose wrapped text
    fits the box height; never below ``min_px``."""
    lo, hi = min_px, max(min_px, max_px or round(box.h * 0.12))
    best = _layout(title, body, box, lo, title_ratio)
    while lo <= hi:
        mid = (lo + hi) // 2
        fit = _layout(title, body, box, mid, title_ratio)
        if fit.height() <= box.h:
            best, lo = fit, mid + 1
        else:
            hi = mid - 1
    if best.height() <= box.h and _orphaned(best):
        # A word alone on the last line that the line above could not take
        # ("THÔNG / TIN"): a size up to 15 % smaller often sets it without one.
        floor = max(min_px, math.floor(best.body_px * ORPHAN_SHRINK))
        for px in range(best.body_px - 1, floor - 1, -1):
            fit = _layout(title, body, box, px, title_ratio)
            if not _orphaned(fit):
                return fit
    return best


ORPHAN_SHRINK = 0.85


def _orphaned(fit: _Fit) -> bool:
    """A title or text of several lines whose last line is one word."""
    return any(
        len(lines) > 1 and " " not in lines[-1].strip()
        for lines in (fit.title_lines, fit.body_lines)
    )


def _draw_text(
    img: Image.Image,
    title: str,
    body: str,
    box: Box,
    fg: tuple[int, int, int],
    min_px: int,
    centre: bool,
    title_ratio: float = 1.6,
    max_px: int | None = None,
) -> None:
    title = unicodedata.normalize("NFC", title.strip())
    body = unicodedata.normalize("NFC", body.strip())
    if not title and not body:
        return
    fit = _fit(title, body, box, min_px, title_ratio, max_px)
    _truncate(fit, box)
    draw = ImageDraw.Draw(img)
    y = box.y + max(0, (box.h - fit.height()) // 2)
    for lines, px, bold, lead in (
        (fit.title_lines, fit.title_px, True, 1.2),
        (fit.body_lines, fit.body_px, False, 1.35),
    ):
        if lines is fit.body_lines and fit.title_lines and lines:
            y += round(fit.body_px * 0.8)
        font = _font(bold, px)
        ascent = font.getmetrics()[0]
        for line in lines:
            x = box.x
            if centre:
                x += round((box.w - draw.textlength(line, font=font)) / 2)
            # Baseline-anchored so lines with and without diacritics align.
            draw.text((x, y + ascent), line, font=font, fill=fg, anchor="ls")
            y += round(px * lead)


def _truncate(fit: _Fit, box: Box) -> None:
    """At the minimum size, drop lines that do not fit and end with an ellipsis."""
    while fit.height() > box.h and (fit.body_lines or fit.title_lines):
        target = fit.body_lines if fit.body_lines else fit.title_lines
        target.pop()
        if target:
            font = _font(
                target is fit.title_lines,
                fit.title_px if target is fit.title_lines else fit.body_px,
            )
            last = target[-1].rstrip(" .,;:")
            while last and font.getlength(last + "…") > box.w:
                last = last[:-1]
            target[-1] = last + "…"


# Encoders ---------------------------------------------------------------------------

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encode_jpeg(img: Image.Image, quality: int = 90) -> bytes:
    """Baseline (never progressive) JPEG with an sRGB profile: what USB players read."""
    buf = io.BytesIO()
    img.convert("RGB").save(
        buf,
        "JPEG",
        quality=quality,
        progressive=False,
        optimize=False,
        icc_profile=_SRGB,
    )
    return buf.getvalue()


def encode_png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()
