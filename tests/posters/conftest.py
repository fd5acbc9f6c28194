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
        app_name="Hue-S",
        app_url="https://hues.thuathienhue.gov.vn",
        alternative="Nhân viên tại quầy khai báo giúp bạn · Đường dây nóng 0234 1022",
        english="Scan to check in – no app needed",
        privacy="Chỉ dùng để phòng, chống dịch; xoá sau 28 ngày.",
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


INSTRUCTIONS = "HƯỚNG DẪN DÁN BẢNG QR"


def decode_pdf(data: bytes, dpi: float) -> list[list[str]]:
    """The decoded texts of every board page (the installer's instruction page,
    which ends every file, is checked to be there and left out)."""
    doc = pdfium.PdfDocument(data)
    try:
        last = doc[len(doc) - 1].get_textpage().get_text_range()
        assert INSTRUCTIONS in last, "the file should end with the instruction page"
        pages = range(len(doc) - 1)
        return [[r.text for r in decode_page(doc[i], dpi)] for i in pages]
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
