"""Where the bundled fonts live (repo-root fonts/, with their licence)."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
BOLD = FONT_DIR / "NotoSans-Bold.ttf"
ASSETS_DIR = Path(__file__).resolve().parent.parent / "assets"
