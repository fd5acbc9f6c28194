"""CSV and XLSX renderers for check-in logs: rows in, byte chunks out, no Flask.

Both stream: the CSV one chunk per few hundred rows (see csvout); the XLSX through
openpyxl's write-only mode into a temporary file (rows never pile up in memory), read
back in chunks. Every cell is text: a name like ``=HYPERLINK(...)`` must never become a
formula in a spreadsheet (CSV injection).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .. import csvout
from .logs import ExportRow
from .people import national

HEADER = (
    "Giờ vào",
    "Giờ ra",
    "Cách ra",
    "Địa điểm",
    "Họ tên",
    "Số điện thoại",
)
OUT_BUTTON = "Bấm nút ra"
OUT_AUTO = "Tự động (hết thời gian lưu lại)"
_FILE_CHUNK = 64 * 1024
XLSX_SHEET_ROWS = 1_048_575  # Excel's last row, less the header


def _cells(row: ExportRow, tz: ZoneInfo) -> tuple[str, ...]:
    def fmt(at: datetime) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

    return (
        fmt(row.checked_in_at),
        fmt(row.left_at),
        OUT_BUTTON if row.by_button else OUT_AUTO,
        row.venue,
        row.name,
        national(row.phone),
    )


def csv_chunks(rows: Iterable[ExportRow], tz: ZoneInfo) -> Iterator[bytes]:
    """The log as a streamed CSV download (see csvout)."""
    return csvout.chunks(chain([HEADER], (_cells(row, tz) for row in rows)))


def xlsx_chunks(rows: Iterable[ExportRow], tz: ZoneInfo) -> Iterator[bytes]:
    """An .xlsx with explicit string cells (data type 's': never a formula); a new
    sheet every XLSX_SHEET_ROWS rows, since a sheet ends at row 1,048,576."""
    wb = Workbook(write_only=True)

    def new_sheet(number: int) -> Any:
        ws = wb.create_sheet("Khai báo" if number == 1 else f"Khai báo ({number})")
        for col, width in zip("ABCDEF", (20, 20, 28, 32, 28, 16), strict=True):
            ws.column_dimensions[col].width = width
        ws.append(text_row(ws, HEADER))
        return ws

    def text_row(ws: Any, values: Iterable[str]) -> list[WriteOnlyCell]:
        out = []
        for value in values:
            cell = WriteOnlyCell(ws, value=None)
            cell.value = value
            cell.data_type = "s"  # openpyxl would make '=...' a formula
            out.append(cell)
        return out

    sheets = 1
    ws = new_sheet(sheets)
    for n, row in enumerate(rows):
        if n and n % XLSX_SHEET_ROWS == 0:
            sheets += 1
            ws = new_sheet(sheets)
        ws.append(text_row(ws, _cells(row, tz)))
    with tempfile.TemporaryFile() as tmp:
        wb.save(tmp)
        tmp.seek(0)
        while chunk := tmp.read(_FILE_CHUNK):
            yield chunk
