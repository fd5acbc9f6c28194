"""Board batches as background jobs: the same services and renderer as the CLI."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import db
from ..accounts.models import Organisation
from ..errors import N_
from ..jobs.runner import JobContext, JobFailed, task
from ..timefmt import today_local
from . import pdf, services

ORG_BATCH = "boards.org_batch"
NO_VENUES = N_("Tổ chức chưa có địa điểm nào đang dùng để in bảng.")
VENUE_GONE = N_(
    "Một địa điểm hoặc tổ chức đã bị xoá trong lúc in bảng, nên tệp không được "
    "giữ lại. Hãy tạo lại bảng."
)


def batch_filename(org_id: int, size: str) -> str:
    return f"bang-qr-to-chuc-{org_id}-{size}.pdf"


@task(ORG_BATCH)
def org_batch(ctx: JobContext) -> None:
    """Every active venue's board of one organisation, one page each, as one PDF.

    The venues are read in one read transaction (a consistent snapshot, streamed in
    chunks); the download log is written afterwards in a short transaction of its
    own, so no write lock is held while rendering.
    """
    org_id, size = int(ctx.params["org_id"]), str(ctx.params["size"])
    campaign = services.campaign(current_app.config)
    seen: list[int] = []
    with db.get_db(ctx.app).read() as s:
        org = s.get(Organisation, org_id)
        if org is None:
            raise JobFailed(VENUE_GONE)
        total = services.count_org_boards(s, org_id)
        if total == 0:
            raise JobFailed(NO_VENUES)
        ctx.progress(0, total)
        boards = services.iter_org_boards(s, org, today_local(), seen)
        with ctx.output(batch_filename(org_id, size), "application/pdf") as out:
            try:
                pdf.render(
                    boards,
                    size,
                    campaign,
                    out,
                    title=f"{campaign.title} – {org.name}",
                    progress=lambda n: ctx.progress(min(n, total)),
                )
            except pdf.NoBoards as e:
                raise JobFailed(NO_VENUES) from e
    try:
        with db.get_db(ctx.app).write() as s:
            services.record_downloads(
                s,
                seen,
                organisation_id=org_id,
                size=size,
                user_id=ctx.owner_id,
                batch=True,
            )
            s.commit()
    except IntegrityError as e:
        raise JobFailed(VENUE_GONE) from e
