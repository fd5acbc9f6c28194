"""Draws assets/logo.png, the campaign's placeholder emblem (run once; output kept).

A blue disc with a white ring and a stylised QR mark (three finder patterns and a
check mark). Drawn 4x larger and reduced with LANCZOS for smooth edges.

    .venv/bin/python assets/make_logo.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE, SS = 256, 8
BLUE, RED, WHITE = (11, 83, 148, 255), (192, 0, 0, 255), (255, 255, 255, 255)


def draw() -> Image.Image:
    n = SIZE * SS
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, n - 1, n - 1), fill=BLUE)
    ring = int(n * 0.06)
    d.ellipse((ring, ring, n - ring, n - ring), outline=WHITE, width=int(n * 0.02))
    # A white tile holding the QR mark.
    t0, t1 = int(n * 0.25), int(n * 0.75)
    d.rounded_rectangle((t0, t0, t1, t1), radius=int(n * 0.04), fill=WHITE)
    m = (t1 - t0) / 10  # module of the mark

    def finder(cx: int, cy: int) -> None:
        x, y = t0 + cx * m, t0 + cy * m
        d.rectangle((x, y, x + 3 * m, y + 3 * m), fill=BLUE)
        d.rectangle((x + 0.5 * m, y + 0.5 * m, x + 2.5 * m, y + 2.5 * m), fill=WHITE)
        d.rectangle((x + m, y + m, x + 2 * m, y + 2 * m), fill=BLUE)

    finder(1, 1)
    finder(6, 1)
    finder(1, 6)
    # Check mark in the fourth corner: the "done" of a check-in.
    pts = [(t0 + 5.6 * m, t0 + 7.4 * m), (t0 + 6.8 * m, t0 + 8.6 * m)]
    pts.append((t0 + 9.0 * m, t0 + 5.8 * m))
    d.line(pts, fill=RED, width=int(0.9 * m), joint="curve")
    return img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(Path(__file__).with_name("logo.png"), optimize=True)
