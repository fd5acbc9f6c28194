"""Text hygiene for everything a person types.

reportlab does no shaping, so a name typed in decomposed form (NFD, as some phones and
macOS produce) renders with detached marks; NFC fixes it. Control characters, zero-width
and bidi overrides are invisible and only ever used to spoof or break things.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

_WS = re.compile(r"\s+")


def _keep(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return True
    cat = unicodedata.category(ch)
    # Cc: controls; Cf: format (zero-width space/joiners, BOM, bidi overrides, soft
    # hyphen); Co/Cs/Cn: private, surrogates, unassigned.
    return cat not in {"Cc", "Cf", "Co", "Cs", "Cn"}


def clean_text(value: object, *, multiline: bool = False) -> str:
    """NFC-normalise, drop invisible characters, trim and collapse spaces.

    Single-line text has every whitespace run collapsed to one space; multiline text
    keeps its line breaks (normalised to ``\\n``) but loses trailing spaces per line.
    ``None`` becomes ``""``.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if _keep(ch, multiline))
    if multiline:
        lines = [_WS.sub(" ", line).strip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return _WS.sub(" ", text).strip()


def has_invisible(value: str) -> bool:
    """True when the text holds control, format (zero-width, bidi) or unassigned."""
    return any(not _keep(ch, multiline=False) for ch in value if ch not in " ")


def fold(value: str) -> str:
    """Case- and accent-insensitive key: 'Phường Thuận Hóa' -> 'phuong thuan hoa'."""
    text = unicodedata.normalize("NFD", clean_text(value).casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("đ", "d")


def wrap(text: str, measure: Callable[[str], float], width: float) -> list[str]:
    """Greedy word wrap: ``text`` as lines at most ``width`` wide, where ``measure``
    gives a string's width in the caller's unit (reportlab points, Pillow pixels).

    Each line break in ``text`` starts a new line (a blank line stays a blank line);
    a word wider than a line is cut between characters (long URLs, codes). A line's
    width is the sum of its words and spaces, each measured once: exact for reportlab,
    which does not kern, and for Pillow too, since no kerning pair of the bundled
    fonts spans a space. Text without any word gives no lines.
    """
    if not text.strip():
        return []
    space = measure(" ")
    lines: list[str] = []
    for para in text.split("\n"):
        cur: list[str] = []
        cur_w = 0.0
        for word in para.split():
            w = measure(word)
            if cur and cur_w + space + w <= width:
                cur.append(word)
                cur_w += space + w
                continue
            if cur:
                lines.append(" ".join(cur))
            if w > width:
                *full, word = _split_word(word, measure, width)
                lines.extend(full)
                w = measure(word)
            cur, cur_w = [word], w
        lines.append(" ".join(cur))
    return lines


def _split_word(word: str, measure: Callable[[str], float], width: float) -> list[str]:
    """The word cut into the longest pieces that fit (at least one character each)."""
    parts, cur = [], ""
    for ch in word:
        if cur and measure(cur + ch) > width:
            parts.append(cur)
            cur = ch
        else:
            cur += ch
    return [*parts, cur]
