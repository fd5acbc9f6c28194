"""Large check-in log exports as background jobs (the same renderers as the
streamed download: exports.csv_chunks / exports.xlsx_chunks)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from .. import db, timefmt
from ..jobs.runner import JobContext, task
from . import exports, logs

EXPORT = "checkins.export"
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def filter_params(f: logs.LogFilter) -> dict[str, Any]:
    """The filter's plain parameters; the search text (a name or number) goes in
    :func:`private_params`."""
    return {
        "org_id": f.org_id,
        "venue_id": f.venue_id,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
    }


def private_params(f: logs.LogFilter) -> dict[str, Any]:
    """The search text, for the job's encrypted parameters (JobRequest.private)."""
    return {"search": f.search} if f.search else {}


def _filter(p: dict[str, Any]) -> logs.LogFilter:
    return logs.LogFilter(
        org_id=int(p["org_id"]),
        venue_id=p.get("venue_id"),
        date_from=date.fromisoformat(p["date_from"]) if p.get("date_from") else None,
        date_to=date.fromisoformat(p["date_to"]) if p.get("date_to") else None,
        search=str(p.get("search") or ""),
    )


@task(EXPORT)
def export(ctx: JobContext) -> None:
    """The whole filtered log into one CSV or XLSX file, with progress per row."""
    f, fmt, name = _filter(ctx.params), ctx.params["fmt"], ctx.params["filename"]
    tz = timefmt.zone()
    with db.get_db(ctx.app).read() as s:
        total = logs.count_upto(s, f, tz, 10**9)
        ctx.progress(0, total)

        def rows() -> Iterator[logs.ExportRow]:
            for n, row in enumerate(logs.iter_export(s, f, tz), start=1):
                yield row
                ctx.progress(n)

        chunks = (
            exports.csv_chunks(rows(), tz)
            if fmt == "csv"
            else exports.xlsx_chunks(rows(), tz)
        )
        with ctx.output(name, MIMETYPES[fmt]) as out:
            for chunk in chunks:
                out.write(chunk)
