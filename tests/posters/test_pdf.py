"""The board renderer, checked the way a user would: rasterise and scan it, read its
text, look inside the file."""

from __future__ import annotations

import dataclasses
import io
import re
import unicodedata

import pypdfium2 as pdfium
import pytest

from signage import fonts, qr
from signage.posters import pdf

from .conftest import BASE_URL, decode_page, make_board, operators

PAYLOAD = qr.payload(BASE_URL, "7KQ2M9XW3D")
FACES = {"a4": 1, "a3": 1, "a5": 2}


@pytest.mark.parametrize("size", sorted(pdf.SIZES))
@pytest.mark.parametrize("dpi", [150, 72])
def test_every_size_scans_to_the_exact_payload(campaign, size, dpi):
    data = pdf.render_one(make_board(), size, campaign)
    doc = pdfium.PdfDocument(data)
    assert len(doc) == 2  # the board, then the installer's instruction page
    assert "Dán ở lối vào" not in doc[0].get_textpage().get_text_range()
    assert "Dán ở lối vào" in doc[1].get_textpage().get_text_range()
    found = decode_page(doc[0], dpi)
    assert [r.text for r in found] == [PAYLOAD] * FACES[size]
    if size == "a5":
        # Both faces of the tent read upright once folded: one is turned 180 degrees.
        assert sorted(r.orientation for r in found) == [0, 180]
    doc.close()


def test_page_sizes_and_module_sizes(campaign):
    for size, (w_mm, h_mm) in {"a4": (210, 297), "a3": (297, 420)}.items():
        doc = pdfium.PdfDocument(pdf.render_one(make_board(), size, campaign))
        w, h = doc[0].get_size()
        assert (round(w / 72 * 25.4), round(h / 72 * 25.4)) == (w_mm, h_mm)
        found = decode_page(doc[0], 150)[0]
        pos = found.position
        side_px = abs(pos.top_right.x - pos.top_left.x)
        # The finder corners span 49 modules (version 8, qr.BOARD_VERSION);
        # 150 dpi = 5.9 px per mm.
        assert int(found.extra["Version"]) == qr.BOARD_VERSION
        assert found.ec_level == "Q"
        module_mm = side_px / (150 / 25.4) / 49
        assert module_mm >= (2.6 if size == "a4" else 3.86) * 0.98, module_mm
        doc.close()


def test_fonts_are_embedded_and_subset(campaign):
    data = pdf.render_one(make_board(), "a4", campaign, compress=False)
    names = re.findall(rb"/BaseFont\s*/([^\s/>]+)", data)
    # Every font is a subset (tag "XXXXXX+") of the bundled family, none a
    # non-embedded standard font such as Helvetica.
    assert names and all(re.fullmatch(rb"[A-Z]{6}\+NotoSans-\w+", n) for n in names)
    assert {n.split(b"+")[1] for n in names} == {b"NotoSans-Regular", b"NotoSans-Bold"}
    assert data.count(b"/FontFile2") == len(names)
    full = fonts.REGULAR.stat().st_size
    # /Length1 is the size of each embedded font program: a small part of the TTF.
    programs = [int(n) for n in re.findall(rb"/Length1 (\d+)", data)]
    assert len(programs) == len(names)
    assert all(0 < n < full / 4 for n in programs)


def _page_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    return text


@pytest.mark.parametrize("size", sorted(pdf.SIZES))
def test_text_is_nfc_also_when_typed_decomposed(campaign, size):
    name = "Trường Tiểu học Lê Lợi – Cổng chính"
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    text = _page_text(pdf.render_one(make_board(name=nfd), size, campaign))
    flat = " ".join(text.split())
    assert name in flat
    assert unicodedata.normalize("NFC", text) == text
    assert not any(unicodedata.combining(ch) for ch in text)
    assert "7KQ-2M9-XW3D" in flat
    assert "qr.example.vn" in flat


def _name_chars(data: bytes, name: str) -> list[tuple[str, tuple[float, ...]]]:
    """Characters of every occurrence of ``name`` on page 1, with their boxes."""
    doc = pdfium.PdfDocument(data)
    tp = doc[0].get_textpage()
    chars = []
    for i in range(tp.count_chars()):
        ch = tp.get_text_range(i, 1)
        if ch.strip():
            chars.append((ch, tp.get_charbox(i)))
    doc.close()
    flat = "".join(c for c, _ in chars)
    key = "".join(name.split())
    out = []
    for m in re.finditer(re.escape(key), flat):
        out.extend(chars[m.start() : m.end()])
    return out


@pytest.mark.parametrize("size", sorted(pdf.SIZES))
def test_a_120_character_name_stays_whole_inside_its_box(campaign, size):
    name = (
        "Trung tâm Hành chính công thành phố Huế – Bộ phận tiếp nhận và trả kết quả "
        "hồ sơ thủ tục hành chính, tầng 1, nhà B, số 01"
    )[:120]
    assert len(name) == 120
    data = pdf.render_one(make_board(name=name), size, campaign)
    chars = _name_chars(data, name)
    key_len = len("".join(name.split()))
    boxes = pdf.name_boxes(size)
    # Found whole, once per face: nothing cut off.
    assert len(chars) == key_len * len(boxes)
    for face, (x0, y0, x1, y1) in enumerate(boxes):
        for ch, (left, bottom, right, top) in chars[
            face * key_len : (face + 1) * key_len
        ]:
            assert x0 - 0.5 <= left and right <= x1 + 0.5, (ch, left, right, x0, x1)
            assert y0 - 0.5 <= bottom and top <= y1 + 0.5, (ch, bottom, top, y0, y1)


def test_a_short_name_is_large_enough_to_read_from_2_m(campaign):
    data = pdf.render_one(make_board(name="Thư viện"), "a4", campaign)
    chars = _name_chars(data, "Thư viện")
    cap = [top - bottom for ch, (_l, bottom, _r, top) in chars if ch == "T"][0]
    assert cap / 72 * 25.4 >= 8.5  # mm: about 1/200 of the reading distance


def _content_streams(data: bytes) -> tuple[list[bytes], list[bytes]]:
    """(page content streams, form XObject streams) of an uncompressed PDF."""
    pages, forms = [], []
    for head, body in re.findall(
        rb"\d+ 0 obj\s*(<<.*?>>)\s*stream\r?\n(.*?)endstream", data, re.DOTALL
    ):
        if b"/Subtype /Form" in head:
            forms.append(body)
        elif b"/Length1" not in head and b"/Image" not in head and b" Do" in body:
            pages.append(body)
    return pages, forms


@pytest.mark.parametrize("size", sorted(pdf.SIZES))
def test_the_qr_is_one_filled_path_per_face(campaign, size):
    data = pdf.render_one(make_board(), size, campaign, compress=False)
    pages, forms = _content_streams(data)
    assert len(pages) == 1 and len(forms) == 1
    ops = operators(pages[0])
    fills = [op for op in ops if op in {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}]
    assert fills == [b"f"] * FACES[size]
    runs = len(list(qr.dark_runs(qr.make(PAYLOAD, *pdf.SYMBOLS[size]))))
    assert ops.count(b"re") == runs * FACES[size]
    assert ops.count(b"Do") == 1  # the constant artwork, placed once


def test_a_batch_draws_the_constant_artwork_once(campaign):
    out = io.BytesIO()
    boards = [
        make_board(name=f"Quầy số {i}", token=f"7KQ2M9XW{i:02d}") for i in range(5)
    ]
    assert pdf.render(boards, "a4", campaign, out, compress=False) == 5
    pages, forms = _content_streams(out.getvalue())
    assert len(forms) == 1 and len(pages) == 5
    assert all(operators(p).count(b"Do") == 1 for p in pages)
    doc = pdfium.PdfDocument(out.getvalue())
    tokens = [qr.payload(BASE_URL, b.token) for b in boards]
    assert [[r.text for r in decode_page(doc[i], 50)] for i in range(5)] == [
        [t] for t in tokens
    ]
    doc.close()


def test_bytes_per_page_after_the_first_stay_small(campaign):
    def size_of(n: int) -> int:
        out = io.BytesIO()
        boards = [make_board(token=f"7KQ2M9X{i:03d}") for i in range(n)]
        pdf.render(boards, "a4", campaign, out)
        return len(out.getvalue())

    one, many = size_of(1), size_of(41)
    assert (many - one) / 40 <= 5 * 1024


def test_unknown_size_is_refused(campaign):
    with pytest.raises(ValueError):
        pdf.render_one(make_board(), "letter", campaign)


def test_the_tent_has_a_dashed_fold_line_across_the_middle(campaign):
    data = pdf.render_one(make_board(), "a5", campaign, compress=False)
    _pages, forms = _content_streams(data)
    ops = operators(forms[0])
    assert b"d" in ops  # a dash pattern is set...
    middle = f"{297 / 2 * 72 / 25.4:.4f}".rstrip("0").encode()[:6]
    # ...and a line is drawn at half the sheet's height (148.5 mm).
    assert re.search(
        rb"0 " + re.escape(middle) + rb"\d* m [\d.]+ " + re.escape(middle), forms[0]
    )


def test_campaign_colours_are_used(campaign):
    green = dataclasses.replace(campaign, color="#2e7d32")
    data = pdf.render_one(make_board(), "a4", green, compress=False)
    _pages, forms = _content_streams(data)
    assert b".180392 .490196 .196078 rg" in forms[0]  # #2e7d32 as fractions
    default = pdf.render_one(make_board(), "a4", campaign, compress=False)
    assert b".180392 .490196 .196078 rg" not in default


def test_an_overlong_address_ends_with_an_ellipsis_inside_the_page(campaign):
    board = dataclasses.replace(make_board(), address="Số 1 đường Lê Lợi " * 20)
    doc = pdfium.PdfDocument(pdf.render_one(board, "a4", campaign))
    page = doc[0]
    tp = page.get_textpage()
    width = page.get_width()
    text = tp.get_text_range()
    assert "…" in text
    for i in range(tp.count_chars()):
        left, _b, right, _t = tp.get_charbox(i)
        if tp.get_text_range(i, 1).strip():
            assert left >= 0 and right <= width
    doc.close()


@pytest.mark.parametrize(
    "base_url",
    [
        "https://phan-hoi-thong-tin.hue.gov.vn",  # longer host: a bigger version
        "https://dichvucong.hue.gov.vn/MaQR",  # a path: case kept, byte mode
    ],
)
@pytest.mark.parametrize("size", sorted(pdf.SIZES))
def test_longer_payloads_still_fill_the_square_and_scan(campaign, base_url, size):
    other = dataclasses.replace(campaign, base_url=base_url)
    payload = qr.payload(base_url, "7KQ2M9XW3D")
    assert qr.make(payload).version > 2
    doc = pdfium.PdfDocument(pdf.render_one(make_board(), size, other))
    found = decode_page(doc[0], 72)
    assert [r.text for r in found] == [payload] * FACES[size]
    text = doc[0].get_textpage().get_text_range()
    assert qr.display_domain(base_url) in " ".join(text.split())
    doc.close()


def test_the_print_shop_variant_has_bleed_crop_marks_and_pure_black(campaign):
    data = pdf.render_one(make_board(), "a4", campaign, compress=False, print_shop=True)
    doc = pdfium.PdfDocument(data)
    w, h = doc[0].get_size()
    # Trim 210 x 297 mm, 3 mm bleed, and a slug for the marks around it.
    assert round(w / 72 * 25.4) == 210 + 2 * 13 and round(h / 72 * 25.4) == 297 + 26
    assert decode_page(doc[0], 100)[0].text == PAYLOAD
    doc.close()
    assert b"/TrimBox" in data and b"/BleedBox" in data
    _pages, forms = _content_streams(data)
    # Text and code in 100 % K (CMYK "0 0 0 1"), no RGB fills in the artwork.
    assert b"0 0 0 1 k" in data
    assert not re.search(rb"[\d.]+ [\d.]+ [\d.]+ rg", forms[0])


def test_no_public_face_carries_the_installers_hint(campaign):
    for size in pdf.SIZES:
        text = _page_text(pdf.render_one(make_board(), size, campaign))
        assert "Dán ở lối vào" not in text and "Gấp đôi" not in text
        flat = " ".join(text.split())
        assert "QUÉT MÃ QR" in flat and "Hue-S" in flat and "0234 1022" in flat


def test_type_sizes_are_readable_at_their_distance(campaign):
    """Call to action >= 18 pt, steps >= 12 pt on A4 (9 pt on the tent), a
    120-character name never below a 5 mm cap height on A4."""
    name = ("Trung tâm Hành chính công thành phố Huế – Bộ phận tiếp nhận " * 3)[:120]
    for size, step_min in (("a4", 12), ("a3", 12), ("a5", 9)):
        doc = pdfium.PdfDocument(pdf.render_one(make_board(name=name), size, campaign))
        tp = doc[0].get_textpage()
        sizes: dict[str, float] = {}
        text = tp.get_text_range()
        for needle in ("QUÉT", "Chạm", "Trung"):
            i = text.index(needle)
            sizes[needle] = tp.get_charbox(i)[3] - tp.get_charbox(i)[1]
        doc.close()
        cap_pt = {k: v for k, v in sizes.items()}
        # Glyph boxes of capitals are ~0.714 em tall in Noto Sans.
        assert cap_pt["QUÉT"] / 0.714 >= 18 * 0.97, (size, cap_pt)
        assert cap_pt["Chạm"] / 0.714 >= step_min * 0.95, (size, cap_pt)
        if size != "a5":
            assert cap_pt["Trung"] / 72 * 25.4 >= 5.0 * 0.97, (size, cap_pt)
