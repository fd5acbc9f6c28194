"""Board rendering benchmark: run with ``.venv/bin/python bench/boards.py``.

Prints, measured in the same run:
- ms per board in a 1,000-board A4 batch, ms per bare ``segno.make_qr`` encode of the
  same payloads as the A4 board prints them (level and version, posters.pdf.SYMBOLS),
  and their ratio (target <= 1.5: layout and PDF cost no more than
  half the encode itself);
- bytes per page after the first (target <= 5 KB);
- peak RSS of separate processes rendering 10, 1,000 and 10,000 boards (target
  <= 200 MB at 10,000; equal figures at 1,000 and 10,000 mean memory stays flat).

Not part of the test run. Needs no database: boards are plain dataclasses.
"""

from __future__ import annotations

import argparse
import gc
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from signage import qr  # noqa: E402
from signage.fonts import ASSETS_DIR  # noqa: E402
from signage.posters import pdf  # noqa: E402
from signage.venues.tokens import new_token  # noqa: E402

BASE_URL = "https://qr.example.vn"
CAMPAIGN = pdf.Campaign(
    title="MÃ QR THÔNG TIN PHẢN HỒI",
    base_url=BASE_URL,
    authority="UBND thành phố Huế",
    logo=ASSETS_DIR / "logo.png",
)


def iter_boards(n: int, tokens: list[str] | None = None) -> Iterator[pdf.Board]:
    """n boards made one at a time, like rows streamed from the database."""
    for i in range(n):
        yield pdf.Board(
            name=f"Cửa hàng tiện lợi số {i} – {secrets.token_hex(3)}",
            organisation="Công ty CP Du lịch Hương Giang",
            address=f"{i} Lê Lợi, Phường Thuận Hóa",
            token=tokens[i] if tokens else new_token(),
            generated=date(2026, 11, 29),
        )


def render_to_file(items: list[pdf.Board], size: str = "a4") -> tuple[float, int]:
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        pdf.render(items, size, CAMPAIGN, out)
        elapsed = time.perf_counter() - started
        return elapsed, out.tell()


def timing(n: int) -> None:
    tokens = [new_token() for _ in range(n)]
    items = list(iter_boards(n, tokens))
    payloads = [qr.payload(BASE_URL, t) for t in tokens]
    render_to_file(items[:20])  # warm up: fonts parsed, modules imported
    gc.collect()
    # Interleave the two measurements so machine noise hits both alike.
    enc, brd = [], []
    for _round in range(3):
        started = time.perf_counter()
        for p in payloads:
            qr.make(p, *pdf.SYMBOLS["a4"])
        enc.append(time.perf_counter() - started)
        brd.append(render_to_file(items)[0])
    enc_ms, brd_ms = min(enc) / n * 1000, min(brd) / n * 1000
    print(f"segno.make_qr encode       {enc_ms:7.3f} ms per code   (best of 3, n={n})")
    print(f"board, whole batch         {brd_ms:7.3f} ms per board  (best of 3, n={n})")
    print(f"ratio board / encode       {brd_ms / enc_ms:7.2f}   (target <= 1.5)")
    _t, one = render_to_file(items[:1])
    _t, many = render_to_file(items)
    per_page = (many - one) / (n - 1)
    print(f"first page                 {one:7d} bytes (fonts, logo, artwork)")
    print(f"bytes per further page     {per_page:7.0f} bytes  (target <= 5120)")


def child(n: int, size: str) -> None:
    """Run in a subprocess: render n boards to a temporary file, print peak RSS."""
    import resource

    items = iter_boards(n)
    with tempfile.TemporaryFile() as out:
        pdf.render(items, size, CAMPAIGN, out)
        written = out.tell()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{peak_kb} {written}")


def rss(n: int, size: str = "a4") -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), "--size", size],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    ).stdout.split()
    return int(out[0]) / 1024, int(out[1])


def memory(n: int) -> None:
    """Peak RSS at 10, n/10 and n boards: flat memory shows as equal figures for the
    last two (the first renders less than one chunk)."""
    mid = n // 10
    small_mb, _ = rss(10)
    mid_mb, _ = rss(mid)
    big_mb, written = rss(n)
    print(f"peak RSS, {10:>6} boards     {small_mb:7.1f} MB")
    print(f"peak RSS, {mid:>6} boards     {mid_mb:7.1f} MB")
    print(f"peak RSS, {n:>6} boards     {big_mb:7.1f} MB  (target <= 200)")
    growth = (big_mb - mid_mb) * 1024 / (n - mid)
    print(f"growth per board past {mid:<5}{growth:7.2f} KB")
    print(f"file                       {written / n:7.0f} bytes per page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--size", default="a4", choices=sorted(pdf.SIZES))
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--rss-boards", type=int, default=10_000)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.size)
        return
    timing(args.boards)
    memory(args.rss_boards)


if __name__ == "__main__":
    main()
