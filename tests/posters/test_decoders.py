"""Every board size scans with three decoders (zxing-cpp, zbar, OpenCV) at 72, 150
and 300 dpi, and A4 survives simulated phone photos with a sticker on the code."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import zxingcpp
from pyzbar import pyzbar

from signage import qr
from signage.posters import layout, pdf

from .conftest import BASE_URL, make_board
from .photos import photo, raster, shoot, stick, symbol_box

PAYLOAD = qr.payload(BASE_URL, "7KQ2M9XW3D")
FACES = {"a4": 1, "a3": 1, "a5": 2}


def zxing(img: np.ndarray) -> list[str]:
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in found]


def zbar(img: np.ndarray) -> list[str]:
    found = pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])
    return [r.data.decode() for r in found]


def opencv(img: np.ndarray) -> list[str]:
    ok, texts, _points, _codes = cv2.QRCodeDetector().detectAndDecodeMulti(img)
    return [t for t in texts if t] if ok else []


DECODERS = {"zxing": zxing, "zbar": zbar, "opencv": opencv}


def _campaign() -> pdf.Campaign:
    from signage.posters import services

    return pdf.Campaign(
        title="MÃ QR THÔNG TIN PHẢN HỒI",
        base_url=BASE_URL,
        authority="UBND thành phố Huế",
        logo=services.default_logo(),
        app_name="Hue-S",
        app_url="https://hues.thuathienhue.gov.vn",
        alternative="Nhân viên tại quầy khai báo giúp bạn · Đường dây nóng 0234 1022",
        english="Scan to check in – no app needed",
        privacy="Chỉ dùng để phòng, chống dịch; xoá sau 28 ngày.",
    )


@pytest.fixture(scope="module")
def boards() -> dict[str, bytes]:
    return {s: pdf.render_one(make_board(), s, _campaign()) for s in pdf.SIZES}


@pytest.mark.parametrize("dpi", [72, 150, 300])
@pytest.mark.parametrize("size", sorted(pdf.SIZES))
def test_every_size_scans_with_three_decoders(boards, size, dpi):
    img = raster(boards[size], dpi)
    for name, decode in DECODERS.items():
        assert decode(img) == [PAYLOAD] * FACES[size], (name, size, dpi)


def _modules(size: str, error: str | None = None) -> int:
    """The width in modules of ``size``'s symbol (at ``error``, default the size's)."""
    level, min_version = pdf.SYMBOLS[size]
    code = qr.make(PAYLOAD, error or level, min_version)
    return int(code.symbol_size(border=0)[0])


def _photos(
    data: bytes,
    spec: layout.PortraitSpec,
    n: int,
    sticker: float,
    error: str | None = None,
    centre: bool = False,
) -> float:
    # 100 dpi: a phone frame with the A4 board filling about two thirds of it.
    dpi = 100
    img = raster(data, dpi)
    modules = _modules("a4", error)
    box = symbol_box(spec.zone_x, spec.zone_top, spec.zone, modules, dpi)
    rng = np.random.default_rng(14)
    shots = (
        photo(img, box, rng, sticker=sticker, modules=modules, centre=centre)
        for _ in range(n)
    )
    return sum(zxing(p) == [PAYLOAD] for p in shots) / n


def test_a4_photos_with_a_10_percent_sticker_mostly_decode(boards):
    """A sticker over 10 % of the symbol that leaves the finder patterns visible
    (anywhere in the data, the timing or the alignment pattern): level Q decodes
    at least 85 % of the photos (200 photos: 94 %). See the next test for a sticker
    placed uniformly at random, finders included."""
    rate = _photos(boards["a4"], layout.A4, 40, 0.10)
    assert rate >= 0.85, rate


def test_a4_with_a_uniformly_random_10_percent_sticker(boards):
    """A sticker over 10 % of the symbol placed uniformly at random (finders
    included), as a phone scans it: the sticker stays where it is while the phone
    takes frames, and the code counts as read when one of 3 frames decodes (a
    phone decodes its camera preview many times a second: 3 frames is a tenth of
    a second). At least 85 % of the placements read.

    The limit is the finder patterns: no decoder here finds a symbol with one of
    them hidden, at any error level (they carry no data), and a sticker 0.32 of the
    symbol's side lands on one in half the placements on version 3 (29 modules).
    So posted boards print version 8 (qr.BOARD_VERSION), where the finders are a
    smaller target. Measured on 400 placements (``python -m
    tests.posters.sticker_study 400 3 <version>``): version 3 76 %, 7 88 %, 8 91 %
    (zbar 89 % on the first frame); with the sticker clear of the finder cores,
    353 of 354 read."""
    dpi, n, frames = 100, 40, 3
    img = raster(boards["a4"], dpi)
    modules = _modules("a4")
    assert modules == 17 + 4 * qr.BOARD_VERSION
    spec = layout.A4
    box = symbol_box(spec.zone_x, spec.zone_top, spec.zone, modules, dpi)
    rng = np.random.default_rng(14)
    read = 0
    for _ in range(n):
        stuck, _rect = stick(img, box, rng, sticker=0.10, modules=modules, finders=True)
        read += any(zxing(shoot(stuck, rng)) == [PAYLOAD] for _ in range(frames))
    print(f"uniform 10 % sticker: {read / n:.0%} of {n} placements")
    assert read / n >= 0.85, read / n


def test_a4_photos_without_a_sticker_all_decode(boards):
    assert _photos(boards["a4"], layout.A4, 12, 0.0) == 1.0


def test_level_q_beats_m_with_a_sticker_in_the_centre(boards, monkeypatch):
    """Where owners put their logo. At version 8 either level survives a 10 %
    sticker there (24 photos: Q all, M 23); over 15 % of the symbol Q still reads
    every photo and M none (Q gives up between 15 and 18 %)."""
    level_q = _photos(boards["a4"], layout.A4, 12, 0.15, centre=True)
    monkeypatch.setitem(pdf.SYMBOLS, "a4", ("m", qr.BOARD_VERSION))
    level_m = pdf.render_one(make_board(), "a4", _campaign())
    m = _photos(level_m, layout.A4, 12, 0.15, "m", centre=True)
    print(f"centre sticker over 15 %: Q {level_q:.0%}, M {m:.0%}")
    assert level_q >= 0.9 and m <= 0.2, (level_q, m)
