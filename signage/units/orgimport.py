"""CSV import of organisations by the admin or a supervisor (within its subtree):
each row names its parent unit and, optionally, its manager's e-mail, who is then
invited. Same decoding as the venue import (Excel's code pages, separators).

Pure functions: the caller passes what the database knows (:class:`Known`) and
writes nothing unless the whole file is valid.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from .. import csvout, geo
from ..accounts.models import OrgKind
from ..checkin.people import clean_phone, national
from ..errors import Invalid
from ..text import clean_text, fold
from ..venues.csvimport import RowError, _delimiter, decode
from .registration import check_tax_code

MAX_ROWS = 20_000

HEADERS = {
    "name": "Tên tổ chức",
    "kind": "Loại hình",
    "parent": "Đơn vị cấp trên",
    "ward": "Phường/xã",
    "address": "Địa chỉ",
    "tax_code": "Mã số thuế",
    "contact_name": "Người liên hệ",
    "contact_phone": "Điện thoại",
    "manager_email": "Email người quản lý",
}
_ALIASES = {
    "name": {"ten to chuc", "ten", "name", "to chuc", "ten don vi"},
    "kind": {"loai hinh", "loai", "kind"},
    "parent": {"don vi cap tren", "cap tren", "parent", "truc thuoc"},
    "ward": {"phuong/xa", "phuong xa", "phuong", "xa", "ward"},
    "address": {"dia chi", "address"},
    "tax_code": {"ma so thue", "mst", "tax code"},
    "contact_name": {"nguoi lien he", "lien he", "contact"},
    "contact_phone": {"dien thoai", "so dien thoai", "phone"},
    "manager_email": {"email nguoi quan ly", "email quan ly", "email", "manager email"},
}
KIND_NAMES: dict[OrgKind, tuple[str, ...]] = {
    OrgKind.STATE_AGENCY: ("Cơ quan nhà nước", "Cơ quan"),
    OrgKind.SCHOOL: ("Trường học", "Trường"),
    OrgKind.POLICE: ("Công an",),
    OrgKind.ARMY: ("Quân đội",),
    OrgKind.BUSINESS: ("Doanh nghiệp", "Công ty"),
    OrgKind.OTHER: ("Khác",),
}
_KIND_INDEX = {
    fold(k): kind for kind, names in KIND_NAMES.items() for k in (kind.value, *names)
}
EXAMPLE_ROW = (
    "Công ty TNHH Du lịch Sông Hương",
    "Doanh nghiệp",
    "UBND phường Thuận Hóa",
    "Phường Thuận Hóa",
    "12 Lê Lợi",
    "0100233488",
    "Nguyễn Văn Bình",
    "0905123456",
    "quanly@songhuong.vn",
)


@dataclass
class Known:
    """What the database says, for the rows to be checked against."""

    province_code: int
    in_scope: dict[str, int]  # folded name or str(id) of a unit in scope -> id
    elsewhere: set[str]  # folded names / ids of organisations outside the scope
    deep: set[int]  # units already at the deepest level (no child allowed)
    taken_emails: set[str]  # e-mail addresses that already have an account
    default_parent: int | None  # a supervisor's own unit, for an empty cell


@dataclass
class OrgRowData:
    name: str
    kind: OrgKind
    parent_id: int | None
    ward_code: int | None
    address: str
    tax_code: str
    contact_name: str
    contact_phone: str
    manager_email: str


@dataclass
class ParseResult:
    rows: list[OrgRowData] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    text: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def template_csv() -> bytes:
    return csvout.body([HEADERS.values(), EXAMPLE_ROW])


def parse(raw: bytes, known: Known) -> ParseResult:
    result = ParseResult()
    try:
        result.text, _enc = decode(raw)
    except UnicodeDecodeError:
        result.errors.append(
            RowError(0, "", "Không đọc được tệp. Hãy lưu lại dạng “CSV UTF-8”.")
        )
        return result
    return parse_text(result.text, known, result)


def parse_text(
    text: str, known: Known, result: ParseResult | None = None
) -> ParseResult:
    result = result or ParseResult(text=text)
    text = text.lstrip("\ufeff")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0])
    )
    try:
        header = next(reader, None)
        if header is None or not any(c.strip() for c in header):
            result.errors.append(RowError(1, "", "Tệp trống: không có dòng tiêu đề."))
            return result
        cols: dict[str, int] = {}
        for i, cell in enumerate(header):
            key = fold(cell).strip(" *")
            for name, aliases in _ALIASES.items():
                if key in aliases and name not in cols:
                    cols[name] = i
        if "name" not in cols:
            result.errors.append(
                RowError(
                    1, HEADERS["name"], "Thiếu cột “Tên tổ chức”. Hãy dùng tệp mẫu."
                )
            )
            return result
        emails: set[str] = set()
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                _row(cells, line, cols, known, emails, result)
            line = reader.line_num + 1
            if len(result.lines) > MAX_ROWS:
                break
    except csv.Error as e:
        result.errors.append(
            RowError(reader.line_num, "", f"Tệp CSV bị lỗi định dạng ({e}).")
        )
    if len(result.lines) > MAX_ROWS:
        result.errors.append(
            RowError(0, "", f"Tệp có quá nhiều dòng: tối đa {MAX_ROWS:,} tổ chức.")
        )
    if not result.lines and not result.errors:
        result.errors.append(RowError(2, "", "Tệp không có tổ chức nào."))
    return result


def _row(
    cells: list[str],
    line: int,
    cols: dict[str, int],
    known: Known,
    emails: set[str],
    result: ParseResult,
) -> None:
    errors: list[RowError] = []

    def cell(key: str) -> str:
        i = cols.get(key)
        return clean_text(cells[i]) if i is not None and i < len(cells) else ""

    def bad(key: str, message: str) -> None:
        errors.append(RowError(line, HEADERS[key], message))

    name = cell("name")
    if not name:
        bad("name", "Thiếu tên tổ chức.")
    elif len(name) > 255:
        bad("name", f"Tên dài {len(name)} ký tự, tối đa 255.")
    kind = OrgKind.BUSINESS
    if kind_text := cell("kind"):
        found = _KIND_INDEX.get(fold(kind_text))
        if found is None:
            bad("kind", f"Loại hình “{kind_text[:60]}” không có trong danh sách.")
        else:
            kind = found
    parent_id = known.default_parent
    if parent_text := cell("parent"):
        key = fold(parent_text)
        if key in known.in_scope:
            parent_id = known.in_scope[key]
            if parent_id in known.deep:
                bad("parent", "Đơn vị cấp trên đã ở cấp thấp nhất (tối đa 5 cấp).")
        elif key in known.elsewhere:
            bad(
                "parent",
                f"Đơn vị “{parent_text[:60]}” không thuộc phạm vi quản lý của bạn.",
            )
        else:
            bad("parent", f"Không tìm thấy đơn vị cấp trên “{parent_text[:60]}”.")
    ward_code: int | None = None
    if ward_text := cell("ward"):
        ward = geo.find_ward(ward_text, known.province_code)
        if ward is None:
            bad("ward", f"Không tìm thấy phường/xã “{ward_text[:60]}” trong tỉnh.")
        else:
            ward_code = int(ward.code)
    address = cell("address")
    if len(address) > 255:
        bad("address", "Địa chỉ tối đa 255 ký tự.")
    tax_code = ""
    try:
        tax_code = check_tax_code(cell("tax_code"))
    except Invalid:
        bad("tax_code", f"Mã số thuế “{cell('tax_code')[:20]}” sai (số kiểm tra).")
    phone = ""
    if phone_text := cell("contact_phone"):
        try:
            phone = national(clean_phone(phone_text))
        except Invalid:
            bad("contact_phone", f"Số điện thoại “{phone_text[:20]}” không hợp lệ.")
    email = cell("manager_email").lower()
    if email:
        if "@" not in email or " " in email or len(email) > 255:
            bad("manager_email", f"Email “{email[:60]}” không hợp lệ.")
        elif email in known.taken_emails:
            bad(
                "manager_email",
                f"Email {email[:60]} đã có tài khoản hoặc đang có lời mời.",
            )
        elif email in emails:
            bad("manager_email", f"Email {email[:60]} lặp lại trong tệp.")
        emails.add(email)
    result.lines.append(line)
    if errors:
        result.errors.extend(errors)
        return
    result.rows.append(
        OrgRowData(
            name=name,
            kind=kind,
            parent_id=parent_id,
            ward_code=ward_code,
            address=address,
            tax_code=tax_code,
            contact_name=cell("contact_name")[:120],
            contact_phone=phone,
            manager_email=email,
        )
    )
