"""A sample board as a PNG: the campaign settings page's preview.

A renderer: plain data in, bytes out. The board is the real PDF, rasterised with
pdfium, so the preview is exactly what prints.
"""

from __future__ import annotations

import io
from datetime import date

import pypdfium2 as pdfium

from .boards import Board, Campaign
from .pdf import render_one

SAMPLE = Board(
    name="Nhà hàng Cố Đô – Cổng chính",
    organisation="Công ty CP Du lịch Hương Giang",
    address="51 Lê Lợi, Phường Thuận Hóa",
    token="7KQ2M9XW3D",
    generated=date(2026, 12, 1),
)
WIDTH_PX = 620  # the preview column's width on a laptop, at 2x for sharp text


def sample_png(campaign: Campaign, size: str, width_px: int = WIDTH_PX) -> bytes:
    """The sample venue's board of ``size``, first page, ``width_px`` wide."""
    doc = pdfium.PdfDocument(render_one(SAMPLE, size, campaign))
    try:
        page = doc[0]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil()
    finally:
        doc.close()
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()
