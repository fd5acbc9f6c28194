"""Board batches as background jobs: the same services and renderer as the CLI."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import BinaryIO, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import db
from ..accounts.models import Organisation
from ..errors import N_, Invalid
from ..jobs.runner import JobContext, JobFailed, task
from ..storage import get_storage
from ..timefmt import today_local
from . import pdf, services

ORG_BATCH = "boards.org_batch"
NO_VENUES = N_("Tổ chức chưa có địa điểm nào đang dùng để in bảng.")
VENUE_GONE = N_(
    "Một địa điểm hoặc tổ chức đã bị xoá trong lúc in bảng, nên tệp không được "
    "giữ lại. Hãy tạo lại bảng."
)


def _campaign(ctx: JobContext, s: Session) -> pdf.Campaign:
    """The campaign as printed; a placeholder still in force (production) or a lost
    logo fails the job with the message that says what to set."""
    try:
        return services.campaign(s, ctx.app.config, get_storage(ctx.app))
    except Invalid as e:
        raise JobFailed(e.message) from e


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
    seen: list[int] = []
    with db.get_db(ctx.app).read() as s:
        campaign = _campaign(ctx, s)
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
    _record_downloads(ctx, {org_id: seen}, size)


def _record_downloads(ctx: JobContext, seen: dict[int, list[int]], size: str) -> None:
    """Log the boards a batch produced, one short transaction per organisation (the
    job is its own boundary); a venue deleted meanwhile fails the job."""
    try:
        for org_id, venue_ids in seen.items():
            with db.get_db(ctx.app).write() as s:
                services.record_downloads(
                    s,
                    venue_ids,
                    organisation_id=org_id,
                    size=size,
                    user_id=ctx.owner_id,
                    batch=True,
                )
                s.commit()
    except IntegrityError as e:
        raise JobFailed(VENUE_GONE) from e


ADMIN_BATCH = "boards.admin_batch"
NO_SCOPE_VENUES = N_("Không có địa điểm nào đang dùng trong phạm vi đã chọn.")


def _slug(text: str) -> str:
    from ..screens.export import slug

    return slug(text, "to-chuc")


@task(ADMIN_BATCH)
def admin_batch(ctx: JobContext) -> None:
    """The boards of every active venue in a ward, a kind of organisation or the
    whole province: one PDF (ordered by organisation, then venue), or a ZIP with
    one PDF per organisation. Download rows are written afterwards, one short
    transaction per organisation."""
    p = ctx.params
    scope = services.Scope(
        province_code=int(p["province_code"]),
        ward_code=p.get("ward_code"),
        kind=p.get("kind"),
    )
    size, fmt = str(p["size"]), str(p["fmt"])
    seen: dict[int, list[int]] = {}
    with db.get_db(ctx.app).read() as s:
        campaign = _campaign(ctx, s)
        total = services.count_scope_boards(s, scope)
        if total == 0:
            raise JobFailed(NO_SCOPE_VENUES)
        ctx.progress(0, total)
        rows = services.iter_scope_boards(s, scope, today_local())
        done = 0

        def boards(items: Iterator[tuple[int, pdf.Board, int]]) -> Iterator[pdf.Board]:
            nonlocal done
            for org_id, board, venue_id in items:
                seen.setdefault(org_id, []).append(venue_id)
                done += 1
                ctx.progress(min(done, total))
                yield board

        name = str(p["filename"])
        if fmt == "pdf":
            with ctx.output(name, "application/pdf") as out:
                pdf.render(boards(rows), size, campaign, out, title=campaign.title)
        else:
            with ctx.output(name, "application/zip") as out:
                _zip(out, rows, boards, size, campaign)
    _record_downloads(ctx, seen, size)


def _zip(
    out: BinaryIO,
    rows: Iterator[tuple[int, pdf.Board, int]],
    boards: Callable[[Iterator[tuple[int, pdf.Board, int]]], Iterator[pdf.Board]],
    size: str,
    campaign: pdf.Campaign,
) -> None:
    # One organisation's PDF at a time through a spooled temporary file (reportlab
    # wants a seekable file; a ZIP entry is not), then stored (PDFs are compressed).
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for org_id, group in itertools.groupby(rows, key=lambda r: r[0]):
            items = list(group)
            org_name = items[0][1].organisation
            with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as tmp:
                title = f"{campaign.title} – {org_name}"
                # cast: a spooled file is a binary file object; typeshed says otherwise
                out_pdf = cast(BinaryIO, tmp)
                pdf.render(boards(iter(items)), size, campaign, out_pdf, title=title)
                tmp.seek(0)
                with z.open(f"{_slug(org_name)}-{org_id}.pdf", "w") as entry:
                    shutil.copyfileobj(tmp, entry, 1024 * 1024)
