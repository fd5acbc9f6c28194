"""Chunked rendering: small reportlab documents joined into one valid PDF."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest

from signage import qr
from signage.posters import pdf, pdfjoin

from .conftest import BASE_URL, decode_page, make_board


def _check_xref(data: bytes) -> int:
    """Every cross-reference entry points at its object; returns the object count."""
    at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[at:].startswith(b"xref\n0 ")
    rows = re.findall(rb"(\d{10}) (\d{5}) ([nf]) \n", data[at:].split(b"trailer")[0])
    size = int(re.search(rb"/Size (\d+)", data[at:]).group(1))
    assert len(rows) == size
    for num, (offset, _gen, kind) in enumerate(rows):
        if kind == b"n":
            assert data[int(offset) :].startswith(b"%d 0 obj\n" % num), num
    return size


def test_chunks_join_into_one_valid_document(campaign):
    boards = [
        make_board(name=f"Quầy giao dịch {i}", token=f"7KQ2M9XW{i:02d}")
        for i in range(7)
    ]
    out = io.BytesIO()
    assert pdf.render(boards, "a4", campaign, out, chunk=3, title="Đợt in 1") == 7
    data = out.getvalue()
    assert data.startswith(b"%PDF-1.4\n")
    _check_xref(data)
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 7 + 1  # and the instruction page
    for i, board in enumerate(boards):
        page = doc[i]
        assert [r.text for r in decode_page(page, 50)] == [
            qr.payload(BASE_URL, board.token)
        ]
        assert board.name in page.get_textpage().get_text_range()
    assert doc.get_metadata_dict()["Title"] == "Đợt in 1"
    doc.close()
    # Three chunks, each with its own subsets of two fonts: six distinct tags.
    names = set(re.findall(rb"/BaseFont /([A-Z]{6})\+", data))
    assert len(names) == 6


def test_chunked_and_single_documents_have_the_same_pages(campaign):
    boards = [make_board(token=f"7KQ2M9XW{i:02d}") for i in range(4)]
    whole, parts = io.BytesIO(), io.BytesIO()
    pdf.render(boards, "a5", campaign, whole)
    pdf.render(boards, "a5", campaign, parts, chunk=1)
    texts = []
    for data in (whole.getvalue(), parts.getvalue()):
        doc = pdfium.PdfDocument(data)
        texts.append([doc[i].get_textpage().get_text_range() for i in range(len(doc))])
        doc.close()
    assert texts[0] == texts[1]


def test_nothing_to_render_is_an_error_not_an_empty_file(campaign):
    with pytest.raises(ValueError):
        pdf.render([], "a4", campaign, io.BytesIO())


def test_the_joiner_refuses_what_is_not_a_pdf():
    joiner = pdfjoin.Joiner(io.BytesIO())
    with pytest.raises(pdfjoin.JoinError):
        joiner.add(b"not a pdf")
    with pytest.raises(pdfjoin.JoinError):
        joiner.close()
