"""The progress chart as an inline SVG: plain data in, markup out (no Flask, no
database, no script, nothing fetched from elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28


@dataclass(frozen=True)
class Line:
    label: str
    color: str
    values: list[float | None]  # one per day, 0..1; None where not defined


def _x(i: int, n: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * i / (n - 1) if n > 1 else span / 2)


def _y(v: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0.0, min(1.0, v)))


def render(
    days: list[date], lines: list[Line], *, title: str, day_fmt: str = "%d/%m"
) -> str:
    """An SVG line chart of shares (0-100 %) per day, with a legend under it and a
    <title> per point for screen readers and hover."""
    n = len(days)
    tall = HEIGHT + 24 * len(lines)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {tall}" '
        f'role="img" aria-label="{escape(title)}" class="progress-chart">',
        f"<title>{escape(title)}</title>",
    ]
    for pct in (0, 25, 50, 75, 100):
        y = _y(pct / 100)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#555">{pct}%</text>'
        )
    step = max(1, n // 8)
    for i in range(0, n, step):
        parts.append(
            f'<text x="{_x(i, n):.1f}" y="{HEIGHT - 8}" font-size="11" '
            f'text-anchor="middle" fill="#555">{days[i].strftime(day_fmt)}</text>'
        )
    for line in lines:
        runs: list[list[str]] = [[]]
        for i, v in enumerate(line.values):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{_x(i, n):.1f},{_y(v):.1f}")
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{line.color}" stroke-width="2" '
                    f'points="{" ".join(run)}"/>'
                )
        for i, v in enumerate(line.values):
            if v is not None:
                parts.append(
                    f'<circle cx="{_x(i, n):.1f}" cy="{_y(v):.1f}" r="2.5" '
                    f'fill="{line.color}"><title>{escape(line.label)} '
                    f"{days[i].strftime(day_fmt)}: {v * 100:.0f}%</title></circle>"
                )
    for k, line in enumerate(lines):
        y = HEIGHT + 16 + 24 * k
        last = next((v for v in reversed(line.values) if v is not None), None)
        shown = f" — {last * 100:.0f}%" if last is not None else ""
        parts.append(
            f'<rect x="{LEFT}" y="{y - 9}" width="14" height="4" fill="{line.color}"/>'
            f'<text x="{LEFT + 20}" y="{y}" font-size="12" fill="#222">'
            f"{escape(line.label)}{shown}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
