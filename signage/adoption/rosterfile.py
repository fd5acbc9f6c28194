"""A unit's staff roster and the city app's account export, read and checked.

Pure functions (no Flask, no database). A roster is all or nothing: every bad row is
reported (line, column, reason; never the cell's value, so the error list holds no
personal data) and none is kept. The app's export is the city's own data, which the
province cannot correct: a number that cannot be read there is skipped and counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..checkin.people import clean_name, clean_phone
from ..errors import Invalid
from ..text import clean_text, fold
from .phones import phone_hash

MAX_ROWS = 100_000
MAX_ERRORS_KEPT = 1000
POSITION_MAX = 120
SKIPPED_LINES_KEPT = 100

HEADERS = {"name": "Họ và tên", "phone": "Số điện thoại", "position": "Chức vụ"}
_ALIASES = {
    "name": {"ho va ten", "ho ten", "ten", "name", "full name", "ho va ten can bo"},
    "phone": {
        "so dien thoai",
        "dien thoai",
        "sdt",
        "so dt",
        "di dong",
        "so di dong",
        "phone",
        "mobile",
        "msisdn",
        "so_dien_thoai",
    },
    "position": {"chuc vu", "chuc danh", "vi tri", "position", "title"},
}
EXAMPLE_ROW = ("Nguyễn Thị Hoa", "0905123456", "Chuyên viên")
TOO_MANY = f"Tệp có quá {MAX_ROWS:,} dòng: hãy chia thành nhiều đơn vị hoặc liên hệ Sở."


@dataclass(frozen=True)
class RowError:
    line: int  # the row in the file (header: 1); 0 for the whole file
    column: str  # the Vietnamese column header, "" for the whole row / file
    message: str  # Vietnamese, shown as is

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Entry:
    line: int
    name: str
    phone: str  # E.164
    phone_hash: str
    position: str


@dataclass
class RosterParse:
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def error(self, e: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(e)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.entries)


def _columns(header: list[str]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        key = fold(cell).strip(" *:")
        for name, aliases in _ALIASES.items():
            if key in aliases and name not in cols:
                cols[name] = i
    return cols


def _get(cells: list[str], i: int | None) -> str:
    return cells[i] if i is not None and i < len(cells) else ""


def parse_roster(
    rows: Iterable[tuple[int, list[str]]],
    key: bytes,
    progress: Callable[[int], None] | None = None,
) -> RosterParse:
    """Check every row of a roster (name, phone, position). Phones are normalised to
    E.164 and hashed with ``key``; the same phone twice is an error on the second
    row. ``progress(rows read)`` is called every 1000 rows."""
    out = RosterParse()
    it = iter(rows)
    header = next(it, None)
    if header is None or not any(header[1]):
        out.error(RowError(1, "", "Tệp trống: không có dòng tiêu đề."))
        return out
    cols = _columns(header[1])
    missing = [HEADERS[k] for k in ("name", "phone") if k not in cols]
    if missing:
        names = ", ".join(f"“{m}”" for m in missing)
        out.error(RowError(1, "", f"Thiếu cột {names} ở dòng tiêu đề. Dùng tệp mẫu."))
        return out
    seen: dict[str, int] = {}
    count = 0
    for line, cells in it:
        if not any(cells):
            continue
        count += 1
        if count > MAX_ROWS:
            out.error(RowError(0, "", TOO_MANY))
            break
        if progress is not None and count % 1000 == 0:
            progress(count)
        _row(line, cells, cols, key, seen, out)
    if not out.entries and not out.error_count:
        out.error(RowError(2, "", "Tệp không có cán bộ nào."))
    return out


def _row(
    line: int,
    cells: list[str],
    cols: dict[str, int],
    key: bytes,
    seen: dict[str, int],
    out: RosterParse,
) -> None:
    bad = False
    name = phone = ""
    try:
        name = clean_name(_get(cells, cols["name"]))
    except Invalid as e:
        out.error(RowError(line, HEADERS["name"], e.message))
        bad = True
    try:
        phone = clean_phone(_get(cells, cols["phone"]))
    except Invalid as e:
        out.error(RowError(line, HEADERS["phone"], e.message))
        bad = True
    position = clean_text(_get(cells, cols.get("position")))
    if len(position) > POSITION_MAX:
        out.error(RowError(line, HEADERS["position"], f"Tối đa {POSITION_MAX} ký tự."))
        bad = True
    if bad:
        return
    digest = phone_hash(key, phone)
    first = seen.get(digest)
    if first is not None:
        out.error(
            RowError(line, HEADERS["phone"], f"Số điện thoại trùng với dòng {first}.")
        )
        return
    seen[digest] = line
    out.entries.append(Entry(line, name, phone, digest, position))


def template_rows() -> list[tuple[str, ...]]:
    return [tuple(HEADERS.values()), EXAMPLE_ROW]


# The city app's account export -------------------------------------------------------


@dataclass
class AppParse:
    hashes: set[str] = field(default_factory=set)
    skipped: int = 0
    skipped_lines: list[int] = field(default_factory=list)
    rows: int = 0


def parse_app_list(
    rows: Iterable[tuple[int, list[str]]],
    key: bytes,
    progress: Callable[[int], None] | None = None,
) -> AppParse:
    """The keyed hashes of every readable number in the export. The phone column is
    found by its header; a file without a recognised header is read as one column of
    numbers. Raw numbers are dropped as soon as they are hashed."""
    out = AppParse()
    col = 0
    for line, cells in rows:
        if line == 1:
            found = _columns(cells).get("phone")
            if found is not None:
                col = found
                continue
        if not any(cells):
            continue
        out.rows += 1
        if progress is not None and out.rows % 5000 == 0:
            progress(out.rows)
        try:
            e164 = clean_phone(_get(cells, col))
        except Invalid:
            out.skipped += 1
            if len(out.skipped_lines) < SKIPPED_LINES_KEPT:
                out.skipped_lines.append(line)
            continue
        out.hashes.add(phone_hash(key, e164))
    return out
