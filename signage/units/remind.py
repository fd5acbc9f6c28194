"""A reminder run: mail each planned laggard its own missing items and log it.
Called by the view for a few organisations and by the ``units.remind`` job for
many (one transaction per chunk: the mails of a chunk go out once it commits)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, db, timefmt
from ..accounts.models import Organisation
from ..db import utcnow
from ..jobs.runner import JobContext, task
from . import figures, mails, reminders

MISSING_LABELS = {
    "venues": _l("chưa đăng ký địa điểm"),
    "boards": _l("chưa tải bảng QR cho mọi địa điểm"),
    "posted": _l("chưa xác nhận đã dán bảng"),
    "report": _l("chưa gửi báo cáo triển khai"),
}
JOB = "units.remind"
CHUNK = 100  # organisations per transaction in the job
IN_REQUEST = 50  # more than this many organisations: a job


def deadline_text(raw: str) -> str:
    try:
        return timefmt.fmt_date(date.fromisoformat(raw)) if raw else ""
    except ValueError:
        return ""


def send(
    session: Session,
    rows: list[figures.OrgRow],
    *,
    unit_name: str,
    sent_by: int | None,
    deadline: str,
) -> tuple[int, int]:
    """Queue the reminders of ``rows`` (already planned: not throttled) and log each;
    returns (organisations reminded, organisations without any address)."""
    contacts = figures.manager_emails(session, [r.id for r in rows])
    sent = unreachable = 0
    for row in rows:
        to = sorted({*contacts.get(row.id, []), *filter(None, [row.contact_email])})
        if not to:
            unreachable += 1
            continue
        mails.reminder(
            session,
            row,
            to=to,
            unit_name=unit_name,
            missing_labels=MISSING_LABELS,
            venues_without_board=reminders.venues_without_board(session, row.id)
            if "boards" in row.missing
            else [],
            deadline=deadline,
        )
        reminders.log(
            session, row.id, missing=row.missing, recipients=len(to), sent_by=sent_by
        )
        sent += 1
    return sent, unreachable


@task(JOB)
def remind_job(ctx: JobContext) -> None:
    """The same run for many organisations, CHUNK per transaction; each chunk is
    planned again, so one reminded meanwhile is not reminded twice."""
    ids: list[int] = [int(i) for i in ctx.params["org_ids"]]
    every = int(ctx.params["every_days"])
    total_sent = total_unreachable = 0
    ctx.progress(0, len(ids))
    with ctx.app.app_context():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            with db.get_db(ctx.app).write() as s:
                cte = select(Organisation.id).where(Organisation.id.in_(chunk)).cte()
                rows = figures.org_rows(s, cte, now=utcnow(), zone=timefmt.zone())
                lagging = [r for r in rows.values() if r.missing]
                todo = reminders.plan(
                    s, lagging, chosen=None, now=utcnow(), every_days=every
                )
                sent, unreachable = send(
                    s,
                    todo.send,
                    unit_name=str(ctx.params["unit_name"]),
                    sent_by=ctx.owner_id,
                    deadline=str(ctx.params["deadline"]),
                )
                s.commit()
            total_sent += sent
            total_unreachable += unreachable
            ctx.progress(min(start + CHUNK, len(ids)), force=True)
        with db.get_db(ctx.app).write() as s:
            audit.record(
                s,
                user_id=ctx.owner_id,
                action="units.reminders",
                target=str(ctx.params["target"]),
                sent=total_sent,
                unreachable=total_unreachable,
                source="job",
            )
            s.commit()
