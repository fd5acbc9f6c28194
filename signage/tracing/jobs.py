"""A large "who was at this venue" CSV as a background job (the same query as the
page: services.present)."""

from __future__ import annotations

from datetime import datetime

from .. import db, timefmt
from ..checkin import people
from ..csvout import body
from ..jobs.runner import JobContext, task
from . import services

VENUE_EXPORT = "tracing.venue_export"
HEADER = ["ho_ten", "dien_thoai", "vao", "ra"]


@task(VENUE_EXPORT)
def venue_export(ctx: JobContext) -> None:
    p = ctx.params
    start, end = datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"])
    with db.get_db(ctx.app).read() as s:
        rows = services.present(s, int(p["venue_id"]), start, end)
        ctx.progress(0, len(rows))
        lines = [HEADER]
        for n, r in enumerate(rows, start=1):
            lines.append(
                [
                    r.name,
                    people.national(r.phone),
                    timefmt.fmt_datetime(r.checked_in_at),
                    timefmt.fmt_datetime(r.left_at),
                ]
            )
            ctx.progress(n)
    with ctx.output("co-mat-tai-dia-diem.csv", "text/csv; charset=utf-8") as out:
        out.write(body(lines))
