"""How the A4 board survives a sticker placed uniformly at random over its symbol,
and why: the figures behind test_decoders.py's sticker tests (not a test itself).

    .venv/bin/python -m tests.posters.sticker_study [placements] [frames] [version]

For each placement (seeded), up to ``frames`` photos with the sticker fixed and the
phone moving; prints the share read on the first frame per decoder, the share read
within ``frames`` frames by zxing-cpp, and that share by how much of a finder
pattern's 7x7 core the sticker covers. ``version`` forces another version at the
same printed size (level Q; posted boards print qr.BOARD_VERSION), to compare.
"""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import segno

from signage import qr
from signage.posters import layout, pdf

from .conftest import make_board
from .photos import raster, shoot, stick, symbol_box
from .test_decoders import DECODERS, PAYLOAD, _campaign


def finder_core_cover(
    symbol: tuple[int, int, int, int], modules: int, rect: tuple[int, int, int, int]
) -> float:
    """The largest share of one finder pattern's 7x7 core under ``rect``."""
    x0, y0, x1, y1 = symbol
    m = (x1 - x0) / modules
    sx, sy, w, h = rect
    best = 0.0
    for fx, fy in ((x0, y0), (x1 - 7 * m, y0), (x0, y1 - 7 * m)):
        ox = max(0.0, min(sx + w, fx + 7 * m) - max(sx, fx))
        oy = max(0.0, min(sy + h, fy + 7 * m) - max(sy, fy))
        best = max(best, ox * oy / (49 * m * m))
    return best


def main(placements: int = 200, frames: int = 5, version: int | None = None) -> None:
    if version is not None:
        qr.make = lambda data, error="q", min_version=None: segno.make_qr(  # type: ignore[assignment]
            data, error="q", version=version, boost_error=False
        )
    dpi = 100
    img = raster(pdf.render_one(make_board(), "a4", _campaign()), dpi)
    modules = qr.make(PAYLOAD, "q", qr.BOARD_VERSION).symbol_size(border=0)[0]
    spec = layout.A4
    box = symbol_box(spec.zone_x, spec.zone_top, spec.zone, modules, dpi)
    rng = np.random.default_rng(14)
    first: Counter[str] = Counter()
    within = 0
    by_cover: Counter[str] = Counter()
    for _ in range(placements):
        stuck, rect = stick(img, box, rng, sticker=0.10, modules=modules, finders=True)
        cover = finder_core_cover(box, modules, rect)
        shot = shoot(stuck, rng)
        read = {name: decode(shot) == [PAYLOAD] for name, decode in DECODERS.items()}
        first.update(name for name, ok in read.items() if ok)
        first["any"] += any(read.values())
        ok = read["zxing"] or any(
            DECODERS["zxing"](shoot(stuck, rng)) == [PAYLOAD] for _ in range(frames - 1)
        )
        within += ok
        band = "clear" if cover == 0 else ("< 25 %" if cover < 0.25 else ">= 25 %")
        by_cover[band] += 1
        by_cover[band + " read"] += ok
    n = placements
    print(f"version {(modules - 17) // 4}, {n} placements of a 10 % sticker")
    for name in (*DECODERS, "any"):
        print(f"  first frame, {name}: {first[name] / n:.1%}")
    print(f"  zxing within {frames} frames: {within / n:.1%}")
    for band in ("clear", "< 25 %", ">= 25 %"):
        k = by_cover[band]
        read = by_cover[band + " read"]
        print(f"  finder core {band}: {k / n:.0%} of placements, {read}/{k} read")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)  # type: ignore[arg-type]
