"""Rows out of an uploaded spreadsheet: CSV (whatever Excel wrote) or XLSX.

Pure functions (no Flask, no database). Cells come back as stripped text; a number
cell of a phone (Excel drops the leading 0 of 0901234567) comes back as its digits.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

from ..venues.csvimport import decode

XLSX_MAGIC = b"PK\x03\x04"


class SheetError(ValueError):
    """The file cannot be read at all; ``message`` is Vietnamese, shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind(raw: bytes) -> str:
    """ "xlsx" for a workbook (a ZIP), else "csv"."""
    return "xlsx" if raw.startswith(XLSX_MAGIC) else "csv"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def rows(raw: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row, the header being line 1."""
    if kind(raw) == "xlsx":
        yield from _xlsx_rows(raw)
    else:
        yield from _csv_rows(raw)


def _csv_rows(raw: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        text, _enc = decode(raw)
    except UnicodeDecodeError:
        raise SheetError(
            "Không đọc được tệp. Hãy lưu lại dạng “CSV UTF-8” hoặc Excel (.xlsx)."
        ) from None
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        line = 1
        for cells in reader:
            yield line, [c.strip() for c in cells]
            line = reader.line_num + 1
    except csv.Error as e:
        raise SheetError(f"Tệp CSV bị lỗi định dạng ở dòng {reader.line_num}.") from e


def _xlsx_rows(raw: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise SheetError(
            "Không đọc được tệp Excel. Hãy lưu lại dạng .xlsx hoặc “CSV UTF-8”."
        ) from e
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return
        for i, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield i, [_cell(v) for v in values]
    except SheetError:
        raise
    except Exception as e:  # a damaged workbook fails in many ways, all the same
        raise SheetError(
            "Tệp Excel bị hỏng. Hãy lưu lại dạng .xlsx hoặc “CSV UTF-8”."
        ) from e
    finally:
        book.close()
