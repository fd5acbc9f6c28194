"""The one QR policy: payload URL, segno encoding, vector runs, PNG and SVG.

Every code the system makes (boards, screens, exports) comes from here, so a printed
board and a screen slide for the same venue always carry the same address.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import segno

# ISO 18004 asks for 4 light modules around the symbol; cheap phone cameras find the
# finder patterns much faster with it, and a frame or text printed closer breaks them.
QUIET_ZONE = 4
ERROR_LEVEL = "m"
PNG_MIN_PX, PNG_MAX_PX = 1, 40
_DARK = re.compile(rb"[\x01-\xff]+")


def payload(base_url: str, token: str) -> str:
    """``{base_url}/C/{TOKEN}``; upper case when the base URL has no path.

    Scheme and host are case-insensitive, so the upper-case form is the same URL, and
    it fits QR's alphanumeric mode (0-9 A-Z space $%*+-./:): version 2-M (25x25
    modules) instead of 3-M for the lower-case bytes, i.e. bigger modules at the same
    print size. A base URL with a path keeps its case (paths are case-sensitive).
    """
    return _public_url(base_url, "C", token)


def _public_url(base_url: str, route: str, code: str) -> str:
    base = base_url.rstrip("/")
    url = f"{base}/{route}/{code.upper()}"
    return url.upper() if urlsplit(base).path in ("", "/") else url


def short_url(base_url: str) -> str:
    """The address printed for typing the token by hand: ``qr.example.vn/C``."""
    return f"{display_domain(base_url)}/C"


def display_domain(base_url: str) -> str:
    """Host (and path) of the public address without the scheme: the official
    domain residents are told to check before typing anything."""
    parts = urlsplit(base_url.rstrip("/"))
    return (parts.netloc + parts.path).lower() if parts.netloc else base_url


def make(
    data: str, error: str = ERROR_LEVEL, min_version: int | None = None
) -> segno.QRCode:
    """Encode with the policy: always a full QR (never Micro QR), level M unless the
    caller asks for another (printed wall boards use Q, see posters.pdf), no
    automatic error-level boost (so the version depends only on the payload), and
    the smallest version that holds the data unless ``min_version`` asks for a
    denser symbol (posted boards, :data:`BOARD_VERSION`)."""
    if min_version is not None:
        # Encoding twice (the smallest version, then the asked one) would choose the
        # mask twice: segno scores all eight in Python, most of a board's time.
        try:
            return segno.make_qr(
                data, error=error, version=min_version, boost_error=False
            )
        except segno.DataOverflowError:
            pass  # longer than min_version holds: the smallest version that does
    return segno.make_qr(data, error=error, boost_error=False)


BOARD_ERROR = "q"
# Posted boards (A4, A3) print version 8 (49 modules) at least, whatever the payload
# needs (version 3 for the usual base URL). A sticker or tape over 10 % of the symbol,
# anywhere on it, as people put them on boards in the street, hides part of a finder
# pattern whenever it lands on one, and no decoder finds a symbol with a finder
# hidden, at any error level: the finders are a smaller share of a denser symbol.
# Measured on simulated phone photos of the A4 board (python -m
# tests.posters.sticker_study 400 3 <version>, zxing-cpp within 3 frames): version 3
# 76 %, 6 84 %, 7 88 %, 8 91 %. The price is smaller modules (A4 2.6 mm instead of
# 4.0, A3 3.9 instead of 5.9): a phone reads them from about 1.3 m instead of 2 m,
# and people scan a board from an arm's length. tests/posters/test_decoders.py
# holds both figures.
BOARD_VERSION = 8


def board_version(base_url: str) -> int:
    """The version of a posted board's symbol for this base URL (level Q)."""
    return int(make(payload(base_url, "0" * 10), BOARD_ERROR, BOARD_VERSION).version)


def base_url_warning(base_url: str) -> str:
    """A sentence for the admin when the base URL makes every posted board's code
    denser than :data:`BOARD_VERSION` (smaller modules: scanned from less far), else
    ''."""
    version = board_version(base_url)
    if version <= BOARD_VERSION:
        return ""
    return (
        f"Địa chỉ công khai {base_url} làm mã QR trên bảng lên phiên bản {version} "
        f"(ô nhỏ hơn, quét được từ gần hơn) thay vì {BOARD_VERSION}: hãy dùng một "
        "địa chỉ ngắn hơn (tối đa 144 ký tự, không có đường dẫn phía sau tên miền)."
    )


def dark_runs(code: segno.QRCode) -> Iterator[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, first column, length)``, in symbol
    coordinates (row 0 at the top, quiet zone not included)."""
    for y, row in enumerate(code.matrix):
        # segno's rows are bytearrays of 0/1: a regex finds the runs at C speed.
        for run in _DARK.finditer(row):
            yield y, run.start(), run.end() - run.start()


def pdf_path(code: segno.QRCode) -> str:
    """PDF path operators for the dark runs, one ``re`` per run, in module units with
    y growing downwards from the symbol's top-left corner. The caller sets the
    transformation (translate + scale(m, -m)) and paints it with a single ``f``:
    one path, one fill, so no hairline seams appear between modules."""
    return " ".join(f"{x} {y} {w} 1 re" for y, x, w in dark_runs(code))


def png(data: str, px_per_module: int) -> bytes:
    """The code as a 1-bit PNG, ``px_per_module`` pixels per module (an integer, so
    no module is resampled), with the quiet zone. Raises ValueError out of range."""
    if not PNG_MIN_PX <= px_per_module <= PNG_MAX_PX:
        raise ValueError(f"pixels per module must be {PNG_MIN_PX}..{PNG_MAX_PX}")
    out = io.BytesIO()
    make(data).save(out, kind="png", scale=px_per_module, border=QUIET_ZONE)
    return out.getvalue()


def svg(data: str) -> bytes:
    """The code as SVG: one path, 1 unit per module (scales to any size), with the
    quiet zone and a white background so it stays scannable on coloured posters."""
    out = io.BytesIO()
    make(data).save(
        out,
        kind="svg",
        scale=1,
        border=QUIET_ZONE,
        light="#fff",
        xmldecl=True,
        svgns=True,
    )
    return out.getvalue()


def card_payload(base_url: str, code: str) -> str:
    """A resident's personal card: ``{base_url}/P/{CODE}``, cased like :func:`payload`
    (upper case, so alphanumeric mode, when the base URL has no path)."""
    return _public_url(base_url, "P", code)
