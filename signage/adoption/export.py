"""The province's adoption-by-unit table as a spreadsheet (plain rows in, bytes out)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from ..csvout import neutralise

Row = Sequence[object]


def xlsx(rows: Iterable[Row], title: str) -> bytes:
    """One sheet, written in streaming mode (constant memory for any row count).
    Text cells get the same formula guard as the CSV downloads."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
