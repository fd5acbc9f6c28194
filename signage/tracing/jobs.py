"""Large tracing CSVs as background jobs: "who was at this venue" and a case's
contacts (the same queries as the pages, the same columns as the small exports the
request writes itself: exports.py)."""

from __future__ import annotations

from datetime import datetime

from .. import db
from ..csvout import body
from ..jobs.runner import JobContext, task
from . import exports, services

VENUE_EXPORT = "tracing.venue_export"
CASE_EXPORT = "tracing.case_export"


@task(VENUE_EXPORT)
def venue_export(ctx: JobContext) -> None:
    p = ctx.params
    start, end = datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])
    with db.get_db(ctx.app).read() as s:
        rows = services.present(s, int(p["venue_id"]), start, end)
        ctx.progress(0, len(rows))
        lines: list[list[object]] = [exports.PRESENCE_HEADER]
        for n, line in enumerate(exports.presence_rows(rows), start=1):
            lines.append(line)
            ctx.progress(n)
    with ctx.output(exports.PRESENCE_FILE, "text/csv; charset=utf-8") as out:
        out.write(body(lines))


@task(CASE_EXPORT)
def case_export(ctx: JobContext) -> None:
    p = ctx.params
    start, end = datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])
    with db.get_db(ctx.app).read() as s:
        result = services.case_exposures(
            s, p["phone_hash"], start, end, margin_minutes=int(p["margin"])
        )
        persons = result.people
        ctx.progress(0, len(persons))
        lines: list[list[object]] = [exports.CONTACTS_HEADER]
        for n, line in enumerate(exports.contact_rows(persons), start=1):
            lines.append(line)
            ctx.progress(n)
    with ctx.output(exports.CONTACTS_FILE, "text/csv; charset=utf-8") as out:
        out.write(body(lines))
