"""Where the bundled fonts live (repo-root fonts/, with their licence)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"


@lru_cache(maxsize=1)
def _covered() -> frozenset[int]:
    """Code points both bundled faces draw (the board uses both)."""
    from reportlab.pdfbase.ttfonts import TTFontFile

    maps = [set(TTFontFile(str(p)).charToGlyph) for p in (REGULAR, BOLD)]
    return frozenset(maps[0] & maps[1])


def missing_glyphs(text: str) -> set[str]:
    """The characters of ``text`` (NFC) the board's font cannot draw: reportlab would
    print nothing for them (an Arabic name leaves an empty line, emoji vanish and
    throw the centring off), so callers refuse such text with a clear message."""
    covered = _covered()
    return {ch for ch in text if not ch.isspace() and ord(ch) not in covered}
