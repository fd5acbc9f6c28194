"""Helpers for board tests: render, rasterise with pdfium, decode with zxing-cpp."""

from __future__ import annotations

import re
import zlib
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp

from signage.fonts import ASSETS_DIR
from signage.posters import pdf

BASE_URL = "https://qr.example.vn"


@pytest.fixture
def campaign() -> pdf.Campaign:
    return pdf.Campaign(
        title="MÃ QR THÔNG TIN PHẢN HỒI",
        base_url=BASE_URL,
        authority="UBND thành phố Huế",
        logo=ASSETS_DIR / "logo.png",
    )


def make_board(name: str = "Nhà hàng Cố Đô", token: str = "7KQ2M9XW3D") -> pdf.Board:
    return pdf.Board(
        name=name,
        organisation="Công ty CP Du lịch Hương Giang",
        address="51 Lê Lợi, Phường Thuận Hóa",
        token=token,
        generated=date(2026, 11, 29),
    )


def decode_page(page: pdfium.PdfPage, dpi: float) -> list[zxingcpp.Barcode]:
    image = page.render(scale=dpi / 72, grayscale=True).to_pil()
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def decode_pdf(data: bytes, dpi: float) -> list[list[str]]:
    """The decoded texts of every page."""
    doc = pdfium.PdfDocument(data)
    try:
        return [[r.text for r in decode_page(doc[i], dpi)] for i in range(len(doc))]
    finally:
        doc.close()


_STRING = re.compile(rb"\((?:\\.|[^\\)])*\)", re.DOTALL)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def operators(content: bytes) -> list[bytes]:
    """The tokens of a content stream with string literals removed (so glyph codes
    inside ``( )`` are never mistaken for operators)."""
    return _STRING.sub(b" ", content).split()


def streams(data: bytes) -> list[bytes]:
    """Every stream in an uncompressed PDF (Flate ones inflated: embedded fonts)."""
    out = []
    for raw in _STREAM.findall(data):
        try:
            out.append(zlib.decompress(raw))
        except zlib.error:
            out.append(raw)
    return out
