"""The one CSV writer: every CSV the project hands out goes through here.

Every text cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``,
tab, carriage return first) gets a leading ``'`` (CSV injection: a venue or a visitor
named ``=HYPERLINK(...)`` must stay text). Numbers, dates and other values are written
as ``str()`` gives them; ``None`` is an empty cell.

Downloads are for Excel: UTF-8 with a BOM (Excel then reads Vietnamese), every field
quoted, CRLF line ends. Terminal output (the CLI's ``list`` commands) is for pipes:
no BOM, quotes only where needed, ``\\n`` line ends. No Flask here: renderers and the
CLI use it too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import TextIO

BOM = "\ufeff"
CHUNK_ROWS = 500
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Iterable[object]


def neutralise(value: str) -> str:
    """Prefix ' to a cell a spreadsheet would read as a formula (CSV injection)."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def cells(row: Row) -> list[str]:
    """The row's cells as safe strings."""
    return [
        neutralise(v) if isinstance(v, str) else "" if v is None else str(v)
        for v in row
    ]


def chunks(rows: Iterable[Row], *, every: int = CHUNK_ROWS) -> Iterator[bytes]:
    """A download as UTF-8 byte chunks of ``every`` rows, the first with the BOM (and
    the first row, usually the header, on its own): memory stays flat however many
    rows there are."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for n, row in enumerate(rows, start=1):
        writer.writerow(cells(row))
        if n == 1 or n % every == 0:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if tail := buf.getvalue():
        yield tail.encode()


def body(rows: Iterable[Row]) -> bytes:
    """A whole download in one piece (small files)."""
    return b"".join(chunks(rows))


def write(out: TextIO, header: Row, rows: Iterable[Row]) -> None:
    """A header and rows for a terminal or a pipe (see the module docstring)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(cells(header))
    for row in rows:
        writer.writerow(cells(row))
