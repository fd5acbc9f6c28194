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
from .photos import photo, raster, symbol_box

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


def _photos(
    data: bytes,
    spec: layout.PortraitSpec,
    n: int,
    sticker: float,
    error: str = "q",
    centre: bool = False,
) -> float:
    # 100 dpi: a phone frame with the A4 board filling about two thirds of it.
    dpi = 100
    img = raster(data, dpi)
    modules = qr.make(PAYLOAD, error).symbol_size(border=0)[0]
    box = symbol_box(spec.zone_x, spec.zone_top, spec.zone, modules, dpi)
    rng = np.random.default_rng(14)
    shots = (
        photo(img, box, rng, sticker=sticker, modules=modules, centre=centre)
        for _ in range(n)
    )
    return sum(zxing(p) == [PAYLOAD] for p in shots) / n


def test_a4_photos_with_a_10_percent_sticker_mostly_decode(boards):
    rate = _photos(boards["a4"], layout.A4, 40, 0.10)
    assert rate >= 0.85, rate


def test_a4_photos_without_a_sticker_all_decode(boards):
    assert _photos(boards["a4"], layout.A4, 12, 0.0) == 1.0


def test_level_q_beats_m_with_a_sticker_in_the_centre(boards, monkeypatch):
    level_q = _photos(boards["a4"], layout.A4, 12, 0.10, centre=True)
    monkeypatch.setitem(pdf.ERROR_LEVELS, "a4", "m")
    level_m = pdf.render_one(make_board(), "a4", _campaign())
    m = _photos(level_m, layout.A4, 12, 0.10, "m", centre=True)
    print(f"centre sticker: Q {level_q:.0%}, M {m:.0%}")
    assert level_q >= m + 0.3, (level_q, m)
