"""The CSV parser on its own: encodings Excel writes, delimiters, every error listed."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest

from signage.venues import csvimport
from signage.venues.models import VenueCategory

HUE = 46
ROWS = [
    ("Nhà hàng Cố Đô", "51 Lê Lợi", "P. Thuận Hóa", "Nhà hàng", "45"),
    ("Trường Tiểu học Đông Ba", "", "phuong phu xuan", "school", ""),
    ("Nhà văn hoá H'Hen Niê – Êčăm", "Thôn 2", "19900", "", "30"),
]


def _csv(rows, delimiter=",", headers=None) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(headers or csvimport.HEADERS.values())
    w.writerows(rows)
    return out.getvalue()


def _parse(raw: bytes, **kw):
    return csvimport.parse(raw, province_code=HUE, default_ward=19786, **kw)


def _check_rows(result):
    assert result.errors == []
    names = [r.name for r in result.rows]
    assert names == [unicodedata.normalize("NFC", r[0]) for r in ROWS]
    assert [r.ward_code for r in result.rows] == [19786, 19768, 19900]
    assert result.rows[0].category is VenueCategory.FOOD
    assert result.rows[1].category is VenueCategory.SCHOOL
    assert result.rows[2].category is VenueCategory.OTHER
    assert [r.stay_minutes for r in result.rows] == [45, 60, 30]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [
        ("utf-8-sig", ","),
        ("utf-8", ";"),
        ("utf-16", "\t"),  # Excel's "Unicode Text"
    ],
)
def test_unicode_files_parse(encoding, delimiter):
    result = _parse(_csv(ROWS, delimiter).encode(encoding))
    _check_rows(result)
    assert result.delimiter == delimiter


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def _cp1258(text: str) -> bytes:
    """Encode like Vietnamese Windows: base letters precomposed (ô, ơ, ư, ă, đ are in
    the code page), tones as combining marks: "ố" is "ô" + U+0301."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize(
                "NFC", "".join(c for c in marks if c not in _TONES)
            )
            tone = "".join(c for c in marks if c in _TONES)
            out += (base + tone).encode("cp1258")
    return bytes(out)


def test_cp1258_with_combining_tone_marks_is_normalised():
    rows = [r for r in ROWS if "č" not in r[0]]  # č is not in cp1258
    raw = _cp1258(_csv(rows, ";"))
    assert b"C\xf4\xec \xd0\xf4" in raw  # "Cố Đô": ô + combining acute
    result = _parse(raw)
    assert result.encoding == "cp1258"
    assert result.errors == []
    assert result.rows[0].name == "Nhà hàng Cố Đô"
    assert unicodedata.is_normalized("NFC", result.rows[1].name)
    assert result.rows[1].name == "Trường Tiểu học Đông Ba"


def test_cp1252_western_file():
    headers = ["name", "address", "ward", "category", "stay minutes"]
    rows = [("Café Hélène", "", "", "food", ""), ("Šumava Žižkov", "", "", "", "")]
    raw = _csv(rows, headers=headers).encode("cp1252")
    result = _parse(raw)
    assert result.encoding == "cp1252"
    assert [r.name for r in result.rows] == ["Café Hélène", "Šumava Žižkov"]


def test_every_bad_row_is_reported_with_line_and_column():
    rows = [
        ("Tốt", "", "", "", ""),
        ("", "1 Lê Lợi", "", "", ""),  # line 3: no name
        ("x" * 121, "", "Phường Không Có", "", "abc"),  # line 4: three errors
        ("Tốt 2", "", "", "sân bay vũ trụ", "2"),  # line 5: two errors
    ]
    result = _parse(_csv(rows).encode())
    got = {(e.line, e.column) for e in result.errors}
    assert got == {
        (3, "Tên địa điểm"),
        (4, "Tên địa điểm"),
        (4, "Phường/xã"),
        (4, "Thời gian lưu lại (phút)"),
        (5, "Loại địa điểm"),
        (5, "Thời gian lưu lại (phút)"),
    }
    assert not result.ok
    messages = " ".join(e.message for e in result.errors)
    assert "Thiếu tên địa điểm" in messages and "Phường Không Có" in messages


def test_multiline_quoted_cell_keeps_line_numbers():
    text = _csv([("Tên\ncó xuống dòng", "", "", "", ""), ("", "", "", "", "")])
    text += "\r\n,Địa chỉ,,,\r\n"
    result = _parse(text.encode())
    assert [e.line for e in result.errors] == [6]  # 2-3, blank 4-5, then 6


def test_missing_name_column_and_empty_files():
    result = _parse(b"foo,bar\r\n1,2\r\n")
    assert result.errors[0].line == 1 and "Tên địa điểm" in result.errors[0].message
    assert not _parse(b"").ok
    assert "không có địa điểm" in _parse(_csv([]).encode()).errors[0].message
    assert "Không đọc được" not in " ".join(
        e.message for e in _parse(b"\xff" * 9).errors
    )


def test_control_and_invisible_characters_are_stripped():
    result = _parse(_csv([("Quán\u200b\u202e Ốc\x07", "", "", "", "")]).encode())
    assert result.rows[0].name == "Quán Ốc"


def test_template_has_bom_vietnamese_headers_and_a_valid_example():
    raw = csvimport.template_csv()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Tên địa điểm" in raw.decode("utf-8-sig")
    result = _parse(raw)
    assert result.ok and len(result.rows) == 1


def test_too_many_rows_is_refused():
    rows = [(f"Điểm {i}", "", "", "", "") for i in range(csvimport.MAX_ROWS + 5)]
    result = _parse(_csv(rows).encode())
    assert not result.ok
    assert "quá nhiều dòng" in result.errors[-1].message


@pytest.mark.parametrize("name", ["مطعم القلعة", "Quán 😀 Cà phê", "北京饭店"])
def test_a_name_the_board_cannot_print_is_refused_on_import(name):
    result = _parse(_csv([(name, "1 Lê Lợi", "", "", "30")]).encode("utf-8"))
    assert result.rows == []
    assert "không có phông" in result.errors[0].message
