"""Fit text into a box: wrap to a few lines, shrink until it fits, never overflow.

Widths come from the font's real glyph metrics (``pdfmetrics.stringWidth``), so what
fits here fits on paper. Units are PDF points.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import stringWidth

from ..text import wrap as wrap_lines

LEADING = 1.15  # line height as a multiple of the font size
# Ink above the baseline (Vietnamese capitals carry stacked marks: "Ẩ", "Ễ") and
# below it (g, y, dot below), in ems, for Noto Sans: a block of n lines needs
# (n - 1) leadings plus ASCENT + DESCENT.
ASCENT, DESCENT = 1.05, 0.25


def block_height(lines: int, size: float) -> float:
    return ((lines - 1) * LEADING + ASCENT + DESCENT) * size if lines else 0.0


@dataclass(frozen=True)
class Fitted:
    size: float
    lines: tuple[str, ...]

    @property
    def leading(self) -> float:
        return self.size * LEADING

    @property
    def height(self) -> float:
        """Height of the inked block, from the top of the marks to the descenders."""
        return block_height(len(self.lines), self.size)


class _Words:
    """A text's words measured once, at 1 pt: widths scale with the size, so one
    measurement serves every size :func:`fit` tries."""

    def __init__(self, text: str, font: str) -> None:
        self.text, self.font = text, font
        self.widths: dict[str, float] = {}

    def _width_1pt(self, s: str) -> float:
        w = self.widths.get(s)
        if w is None:
            w = self.widths[s] = stringWidth(s, self.font, 1)
        return w

    def lines(self, size: float, width: float) -> list[str]:
        return wrap_lines(self.text, lambda s: self._width_1pt(s) * size, width)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at ``size`` points into lines at most ``width`` wide."""
    return wrap_lines(text, lambda s: stringWidth(s, font, size), width)


def fit(
    text: str,
    font: str,
    *,
    width: float,
    height: float,
    max_size: float,
    min_size: float,
    max_lines: int = 2,
    step: float = 0.5,
) -> Fitted:
    """The largest size from ``max_size`` down to ``min_size`` at which ``text`` wraps
    into at most ``max_lines`` lines inside ``width`` x ``height``.

    When even ``min_size`` needs more lines, more lines are allowed while they fit the
    height, and below that the size keeps shrinking: the text always ends up inside
    the box and is never cut.
    """
    words = _Words(text, font)
    size = max_size
    while size >= min_size - 1e-9:
        lines = words.lines(size, width)
        if len(lines) <= max_lines and block_height(len(lines), size) <= height:
            return Fitted(size, tuple(lines))
        size -= step
    size = min_size
    while size > 1:
        lines = words.lines(size, width)
        if block_height(len(lines), size) <= height:
            return Fitted(size, tuple(lines))
        size *= 0.92
    return Fitted(size, tuple(words.lines(size, width)))


@lru_cache(maxsize=512)
def fit_line(
    text: str, font: str, *, width: float, max_size: float, min_size: float
) -> Fitted:
    """One line: shrink down to ``min_size``; past that, end the text with an ellipsis
    (used for secondary lines such as a long address, never for the venue name).
    Cached: the organisation line is the same on every page of a batch."""
    natural = stringWidth(text, font, 1)
    if natural * max_size <= width:
        return Fitted(max_size, (text,))
    size = max(min_size, width / natural) if natural else max_size
    if natural * size <= width + 1e-6:
        return Fitted(size, (text,))
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return Fitted(size, (text.rstrip() + "…",))
