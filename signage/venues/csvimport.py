"""CSV import of venues: decode what Excel wrote, check every row, report every error.

Pure functions (no Flask, no database): the view and the CLI call :func:`parse` and
write nothing unless the result has no errors.

Vietnamese Excel saves "CSV" in the Windows code page of the machine: cp1258 on a
Vietnamese Windows (which writes tone marks as *combining* characters, so the text is
NFC-normalised after decoding), cp1252 on a Western one, UTF-8 with a BOM for
"CSV UTF-8", and UTF-16 with tabs for "Unicode Text". Semicolons are the list
separator where the decimal separator is a comma.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from .. import csvout, geo
from ..text import clean_text, fold
from .models import VenueCategory
from .services import NAME_MAX, STAY_MAX, STAY_MIN, VenueData, unprintable

MAX_ROWS = 20_000
ADDRESS_MAX = 255

# Column key -> Vietnamese header (the template) and the folded aliases accepted.
HEADERS = {
    "name": "Tên địa điểm",
    "address": "Địa chỉ",
    "ward": "Phường/xã",
    "category": "Loại địa điểm",
    "stay_minutes": "Thời gian lưu lại (phút)",
}
_ALIASES = {
    "name": {"ten dia diem", "ten", "name", "venue", "ten co so"},
    "address": {"dia chi", "address"},
    "ward": {
        "phuong/xa",
        "phuong / xa",
        "phuong xa",
        "phuong",
        "xa",
        "ward",
        "ma phuong/xa",
        "ward code",
    },
    "category": {"loai dia diem", "loai", "category"},
    "stay_minutes": {
        "thoi gian luu lai (phut)",
        "thoi gian luu lai",
        "so phut",
        "phut",
        "stay minutes",
        "stay_minutes",
    },
}

# Category accepted by code ("food") or by a Vietnamese label ("Nhà hàng").
CATEGORY_NAMES: dict[VenueCategory, tuple[str, ...]] = {
    VenueCategory.OFFICE: ("Cơ quan, văn phòng", "Cơ quan", "Văn phòng"),
    VenueCategory.SCHOOL: ("Trường học", "Trường"),
    VenueCategory.HEALTH: ("Cơ sở y tế", "Y tế", "Bệnh viện", "Trạm y tế"),
    VenueCategory.MARKET: ("Chợ, siêu thị", "Chợ", "Siêu thị"),
    VenueCategory.SHOP: ("Cửa hàng",),
    VenueCategory.FOOD: ("Nhà hàng, quán ăn, cà phê", "Nhà hàng", "Quán ăn", "Cà phê"),
    VenueCategory.HOTEL: ("Khách sạn, lưu trú", "Khách sạn", "Lưu trú"),
    VenueCategory.FACTORY: ("Nhà máy, xưởng", "Nhà máy", "Xưởng"),
    VenueCategory.TRANSPORT: ("Bến xe, nhà ga, sân bay", "Bến xe", "Nhà ga"),
    VenueCategory.WORSHIP: ("Cơ sở tôn giáo", "Tôn giáo"),
    VenueCategory.TOURISM: ("Di tích, điểm du lịch", "Di tích", "Du lịch"),
    VenueCategory.OTHER: ("Khác",),
}
_CATEGORY_INDEX = {
    fold(key): cat
    for cat, names in CATEGORY_NAMES.items()
    for key in (cat.value, *names)
}

EXAMPLE_ROW = (
    "Nhà hàng Cố Đô – Tầng 1",
    "51 Lê Lợi",
    "Phường Thuận Hóa",
    "Nhà hàng, quán ăn, cà phê",
    "60",
)


@dataclass(frozen=True)
class RowError:
    line: int  # physical line in the file, the header being line 1
    column: str  # the Vietnamese column header ("" for the whole row / file)
    message: str  # Vietnamese, shown as is


@dataclass
class ParseResult:
    rows: list[VenueData] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # file line of each row
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ","
    text: str = ""  # the decoded file, staged between preview and confirm

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def template_csv() -> bytes:
    """The downloadable template, a CSV for Excel like every download (see csvout)."""
    return csvout.body([HEADERS.values(), EXAMPLE_ROW])


# Decoding ----------------------------------------------------------------------------

_VI_EXTRA = set("ăâđêôơưĂÂĐÊÔƠƯ")


def _vietnamese_score(text: str) -> int:
    """Letters only Vietnamese has, minus Latin-1 letters Vietnamese never uses."""
    score = 0
    for ch in text:
        if ord(ch) < 128:
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        if ch in _VI_EXTRA or (ord(ch) > 0xFF and base.isalpha() and base.isascii()):
            score += 1
        elif ch in "ÐðÞþßÆæØøÅåÄäÖöÜüÑñÇçÏïËë":
            score -= 2
    return score


def decode(raw: bytes) -> tuple[str, str]:
    """Decode the bytes Excel wrote; return (NFC text, encoding name).

    Raises UnicodeDecodeError when no supported encoding fits.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return unicodedata.normalize("NFC", raw[3:].decode("utf-8")), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return unicodedata.normalize("NFC", raw.decode("utf-16")), "utf-16"
    if len(raw) >= 4 and raw[1:4:2] == b"\0\0" and raw[0] and raw[2]:
        return unicodedata.normalize("NFC", raw.decode("utf-16-le")), "utf-16-le"
    try:
        return unicodedata.normalize("NFC", raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    for enc in ("cp1258", "cp1252"):
        try:
            text = unicodedata.normalize("NFC", raw.decode(enc))
        except UnicodeDecodeError:
            continue
        candidates.append((_vietnamese_score(text), enc == "cp1258", text, enc))
    if not candidates:
        raise UnicodeDecodeError("cp1258", raw, 0, len(raw), "unsupported encoding")
    _score, _vi, text, enc = max(candidates)
    return text, enc


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))


# Parsing -----------------------------------------------------------------------------


def _columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = fold(cell).strip(" *")
        for name, aliases in _ALIASES.items():
            if key in aliases and name not in cols:
                cols[name] = i
    errors = []
    if "name" not in cols:
        errors.append(
            RowError(
                1,
                HEADERS["name"],
                "Thiếu cột “Tên địa điểm” ở dòng tiêu đề. Hãy dùng tệp mẫu.",
            )
        )
    return cols, errors


def parse(
    raw: bytes, *, province_code: int, default_ward: int | None = None
) -> ParseResult:
    """Decode and validate a venue CSV. Every bad cell is reported, none is fixed.

    An empty ward cell takes ``default_ward`` (the organisation's ward); a ward is
    matched by code or by name within ``province_code``.
    """
    result = ParseResult()
    try:
        result.text, result.encoding = decode(raw)
    except UnicodeDecodeError:
        result.errors.append(
            RowError(0, "", "Không đọc được tệp. Hãy lưu lại dạng “CSV UTF-8”.")
        )
        return result
    return parse_text(
        result.text,
        province_code=province_code,
        default_ward=default_ward,
        result=result,
    )


def parse_text(
    text: str,
    *,
    province_code: int,
    default_ward: int | None = None,
    result: ParseResult | None = None,
) -> ParseResult:
    """Validate already decoded text (the confirm step re-parses the staged text)."""
    result = result or ParseResult(encoding="utf-8")
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    result.delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=result.delimiter)
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            result.errors.append(RowError(1, "", "Tệp trống: không có dòng tiêu đề."))
            return result
        cols, errors = _columns(header)
        result.errors.extend(errors)
        if errors:
            return result
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                _row(cells, line, cols, province_code, default_ward, result)
            line = reader.line_num + 1
            if len(result.lines) > MAX_ROWS:
                break
    except csv.Error as e:
        result.errors.append(
            RowError(reader.line_num, "", f"Tệp CSV bị lỗi định dạng ({e}).")
        )
    if len(result.lines) > MAX_ROWS:
        result.errors.append(
            RowError(0, "", f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS:,} địa điểm.")
        )
    if not result.lines and not result.errors:
        result.errors.append(RowError(2, "", "Tệp không có địa điểm nào."))
    return result


def _cell(cells: list[str], cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return clean_text(cells[i]) if i is not None and i < len(cells) else ""


def _row(
    cells: list[str],
    line: int,
    cols: dict[str, int],
    province_code: int,
    default_ward: int | None,
    result: ParseResult,
) -> None:
    errors: list[RowError] = []

    def bad(key: str, message: str) -> None:
        errors.append(RowError(line, HEADERS[key], message))

    name = _cell(cells, cols, "name")
    if not name:
        bad("name", "Thiếu tên địa điểm.")
    elif len(name) > NAME_MAX:
        bad("name", f"Tên dài {len(name)} ký tự, tối đa {NAME_MAX}.")
    elif unprintable(name):
        bad("name", unprintable(name))

    address = _cell(cells, cols, "address")
    if len(address) > ADDRESS_MAX:
        bad("address", f"Địa chỉ dài {len(address)} ký tự, tối đa {ADDRESS_MAX}.")

    ward_text = _cell(cells, cols, "ward")
    ward_code = default_ward
    if ward_text:
        ward = geo.find_ward(ward_text, province_code)
        if ward is None:
            bad("ward", f"Không tìm thấy phường/xã “{ward_text[:60]}” trong tỉnh.")
        else:
            ward_code = int(ward.code)

    category = VenueCategory.OTHER
    cat_text = _cell(cells, cols, "category")
    if cat_text:
        found = _CATEGORY_INDEX.get(fold(cat_text))
        if found is None:
            bad(
                "category", f"Loại địa điểm “{cat_text[:60]}” không có trong danh sách."
            )
        else:
            category = found

    stay = 60
    stay_text = _cell(cells, cols, "stay_minutes")
    if stay_text:
        try:
            stay = int(stay_text.replace(" ", ""))
        except ValueError:
            bad("stay_minutes", f"“{stay_text[:20]}” không phải số phút.")
        else:
            if not STAY_MIN <= stay <= STAY_MAX:
                bad("stay_minutes", f"Số phút phải từ {STAY_MIN} đến {STAY_MAX}.")

    result.lines.append(line)
    if errors:
        result.errors.extend(errors)
        return
    result.rows.append(
        VenueData(
            name=name,
            address=address,
            ward_code=ward_code,
            category=category,
            stay_minutes=stay,
        )
    )
