"""Simulated phone photos of a posted board: a sticker over part of the symbol, the
phone held at an angle, a little out of focus, sensor noise, uneven light. Seeded,
so a run is repeatable."""

from __future__ import annotations

import cv2
import numpy as np
import pypdfium2 as pdfium

from signage import qr


def raster(data: bytes, dpi: float, page: int = 0) -> np.ndarray:
    doc = pdfium.PdfDocument(data)
    try:
        image = doc[page].render(scale=dpi / 72, grayscale=True).to_numpy()
    finally:
        doc.close()
    return image if image.ndim == 2 else image[..., 0]


def photo(
    board: np.ndarray,
    symbol: tuple[int, int, int, int],
    rng: np.random.Generator,
    *,
    sticker: float = 0.10,
    modules: int = 29,
    centre: bool = False,
    finders: bool = False,
) -> np.ndarray:
    """One photo of ``board`` (grey page raster); ``symbol`` is the code's box
    (x0, y0, x1, y1) in that raster, without its quiet zone. The sticker covers
    ``sticker`` of the symbol's area at a random place inside it (see
    :func:`stick`), then the phone takes its picture (:func:`shoot`)."""
    stuck, _rect = stick(
        board,
        symbol,
        rng,
        sticker=sticker,
        modules=modules,
        centre=centre,
        finders=finders,
    )
    return shoot(stuck, rng)


def stick(
    board: np.ndarray,
    symbol: tuple[int, int, int, int],
    rng: np.random.Generator,
    *,
    sticker: float = 0.10,
    modules: int = 29,
    centre: bool = False,
    finders: bool = False,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """``board`` with a sticker (white, light, dark or black) over ``sticker`` of
    the symbol's area, a rectangle of aspect 1:2 to 2:1 anywhere inside the symbol
    (``finders``: uniformly, the finder patterns included), or at a place that
    leaves the three finder patterns visible (the default), or in the middle
    (``centre``: where owners put a logo). A sticker over a finder pattern defeats
    every error level alike: no decoder finds the symbol (see
    :func:`covers_finder`). Returns the image and the sticker's (x, y, w, h)."""
    img = board.copy()
    x0, y0, x1, y1 = symbol
    side = x1 - x0
    sx = sy = w = h = 0
    if sticker:
        area = sticker * side * (y1 - y0)
        while True:
            aspect = rng.uniform(0.5, 2.0)
            w = int(min(side, (area * aspect) ** 0.5))
            h = int(min(y1 - y0, area / max(w, 1)))
            if centre:
                sx, sy = (x0 + x1 - w) // 2, (y0 + y1 - h) // 2
            else:
                sx = int(rng.integers(x0, x1 - w + 1))
                sy = int(rng.integers(y0, y1 - h + 1))
            if centre or finders or not covers_finder(symbol, modules, (sx, sy, w, h)):
                break
        img[sy : sy + h, sx : sx + w] = int(rng.choice([255, 235, 60, 20]))
    return img, (sx, sy, w, h)


def shoot(board: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone's picture of ``board``: tilted, unevenly lit, out of focus, noisy."""
    img = board
    # Perspective: each corner moved by up to 8 % of the page, the phone tilted.
    hgt, wid = img.shape
    src = np.float32([[0, 0], [wid, 0], [wid, hgt], [0, hgt]])
    jitter = rng.uniform(-0.08, 0.08, size=(4, 2)) * [wid, hgt]
    dst = np.float32(src + jitter)
    m = cv2.getPerspectiveTransform(src, dst)
    img = cv2.warpPerspective(img, m, (wid, hgt), borderValue=200)
    # Uneven light: a gradient across the frame.
    ramp = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.1), wid)
    img = np.clip(img * ramp[None, :], 0, 255)
    # Out of focus and noisy.
    sigma = rng.uniform(0.6, 1.6)
    img = cv2.GaussianBlur(img, (0, 0), sigma)
    img = img + rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def covers_finder(
    symbol: tuple[int, int, int, int], modules: int, rect: tuple[int, int, int, int]
) -> bool:
    """Whether ``rect`` (x, y, w, h) touches a finder pattern or its separator."""
    x0, y0, x1, y1 = symbol
    m = (x1 - x0) / modules
    sx, sy, w, h = rect
    for fx, fy in ((x0, y0), (x1 - 8 * m, y0), (x0, y1 - 8 * m)):
        if sx < fx + 8 * m and sx + w > fx and sy < fy + 8 * m and sy + h > fy:
            return True
    return False


def symbol_box(
    zone_x_mm: float, zone_top_mm: float, zone_mm: float, modules: int, dpi: float
) -> tuple[int, int, int, int]:
    px = dpi / 25.4
    module = zone_mm / (modules + 2 * qr.QUIET_ZONE)
    x0 = (zone_x_mm + qr.QUIET_ZONE * module) * px
    y0 = (zone_top_mm + qr.QUIET_ZONE * module) * px
    side = modules * module * px
    return int(x0), int(y0), int(x0 + side), int(y0 + side)
