"""Fit text into a box: wrap to a few lines, shrink until it fits, never overflow.

Widths come from the font's real glyph metrics (``pdfmetrics.stringWidth``), so what
fits here fits on paper. Units are PDF points.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

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
    lines: list[str]

    @property
    def leading(self) -> float:
        return self.size * LEADING

    @property
    def height(self) -> float:
        """Height of the inked block, from the top of the marks to the descenders."""
        return block_height(len(self.lines), self.size)


def _split_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the line is cut between characters (long URLs, codes)."""
    parts, cur = [], ""
    for ch in word:
        if cur and stringWidth(cur + ch, font, size) > width:
            parts.append(cur)
            cur = ch
        else:
            cur += ch
    return [*parts, cur] if cur else parts


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap at ``size`` points into lines at most ``width`` wide."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        trial = f"{cur} {word}" if cur else word
        if stringWidth(trial, font, size) <= width:
            cur = trial
            continue
        if cur:
            lines.append(cur)
        if stringWidth(word, font, size) <= width:
            cur = word
        else:
            *full, cur = _split_word(word, font, size, width)
            lines.extend(full)
    if cur:
        lines.append(cur)
    return lines


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
    size = max_size
    while size >= min_size - 1e-9:
        lines = wrap(text, font, size, width)
        if len(lines) <= max_lines and block_height(len(lines), size) <= height:
            return Fitted(size, lines)
        size -= step
    size = min_size
    while size > 1:
        lines = wrap(text, font, size, width)
        if block_height(len(lines), size) <= height:
            return Fitted(size, lines)
        size *= 0.92
    return Fitted(size, wrap(text, font, size, width))


def fit_line(
    text: str, font: str, *, width: float, max_size: float, min_size: float
) -> Fitted:
    """One line: shrink down to ``min_size``; past that, end the text with an ellipsis
    (used for secondary lines such as a long address, never for the venue name)."""
    size = max_size
    while size > min_size and stringWidth(text, font, size) > width:
        size = max(min_size, size * 0.95)
    if stringWidth(text, font, size) <= width:
        return Fitted(size, [text])
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return Fitted(size, [text.rstrip() + "…"])
