"""Draws assets/logo.png, the campaign's default emblem (run once; output kept).

A blue disc with a white ring, a white phone and a red check mark: "check in with
your phone". Nothing in it resembles a QR finder pattern (nested squares in the
ratio 1:1:3:1:1): the old emblem drew three, and OpenCV's detector locked onto the
logo instead of the board's code on 19 of 48 flat renders. The phone is a tall
rounded outline, never square, with one ring, never nested. Drawn 8x larger and
reduced with LANCZOS for smooth edges.

    .venv/bin/python assets/make_logo.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE, SS = 256, 8
BLUE, RED, WHITE = (11, 83, 148, 255), (179, 38, 30, 255), (255, 255, 255, 255)


def draw() -> Image.Image:
    n = SIZE * SS
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((0, 0, n - 1, n - 1), fill=BLUE)
    ring = int(n * 0.06)
    d.ellipse((ring, ring, n - ring, n - ring), outline=WHITE, width=int(n * 0.02))
    # The phone: a tall white body with a blue screen, a speaker slot.
    x0, x1, y0, y1 = int(n * 0.34), int(n * 0.66), int(n * 0.22), int(n * 0.78)
    d.rounded_rectangle((x0, y0, x1, y1), radius=int(n * 0.05), fill=WHITE)
    pad = int(n * 0.03)
    d.rectangle((x0 + pad, y0 + 3 * pad, x1 - pad, y1 - 3 * pad), fill=BLUE)
    d.rounded_rectangle(
        (int(n * 0.46), y0 + pad, int(n * 0.54), y0 + int(1.8 * pad)),
        radius=pad,
        fill=BLUE,
    )
    # A check mark over the screen: the "done" of a check-in.
    pts = [(n * 0.39, n * 0.50), (n * 0.47, n * 0.58), (n * 0.62, n * 0.41)]
    d.line(pts, fill=WHITE, width=int(n * 0.075), joint="curve")
    d.line(pts, fill=RED, width=int(n * 0.045), joint="curve")
    return img.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


if __name__ == "__main__":
    draw().save(Path(__file__).with_name("logo.png"), optimize=True)
