"""Large organisation imports as background jobs: organisations are created in
chunks (no long write lock), all or nothing; the invitations are queued once every
organisation exists."""

from __future__ import annotations

from sqlalchemy import delete

from .. import audit, db
from ..accounts.models import Organisation, User
from ..errors import N_
from ..jobs.runner import Cancelled, JobContext, JobFailed, task
from . import orgimport, services
from .orgimport import OrgRowData

IMPORT = "units.import"
CHUNK = 500
INVALID = N_("Tệp không còn hợp lệ khi nhập. Hãy tải tệp lên lại để xem lỗi.")
FAILED = N_("Nhập tổ chức không thành công; không tổ chức nào được thêm.")


@task(IMPORT)
def import_orgs(ctx: JobContext) -> None:
    owner = ctx.owner_id
    province = int(ctx.params["province_code"])
    with db.get_db(ctx.app).read() as s:
        user = s.get(User, owner) if owner is not None else None
        if user is None:
            raise JobFailed(FAILED)
        known = services.known_for(s, user, province)
    result = orgimport.parse_text(ctx.params["text"], known)
    if not result.ok:
        raise JobFailed(INVALID)
    rows = result.rows
    ctx.progress(0, len(rows))
    write = db.get_db(ctx.app).write
    ids: list[int] = []
    try:
        for start in range(0, len(rows), CHUNK):
            bare = [_no_invite(r) for r in rows[start : start + CHUNK]]
            made: list[Organisation] = []
            with write() as s:
                services.create_orgs(
                    s, bare, province_code=province, invited_by=owner, made=made
                )
                s.commit()
            ids.extend(o.id for o in made)
            ctx.progress(len(ids), force=True)
    except (Cancelled, JobFailed):
        _undo(ctx, ids)
        raise
    except Exception as e:
        _undo(ctx, ids)
        raise JobFailed(FAILED) from e
    invited = 0
    for start in range(0, len(rows), CHUNK):
        with write() as s:
            for org_id, row in zip(
                ids[start : start + CHUNK], rows[start : start + CHUNK], strict=True
            ):
                if row.manager_email:
                    services.invite_manager(
                        s, org_id=org_id, email=row.manager_email, invited_by=owner
                    )
                    invited += 1
            s.commit()
    with write() as s:
        audit.record(
            s,
            user_id=owner,
            action="units.import",
            target="organisations",
            count=len(ids),
            invited=invited,
            source="job",
        )
        s.commit()


def _no_invite(row: OrgRowData) -> OrgRowData:
    return (
        OrgRowData(**{**row.__dict__, "manager_email": ""})
        if row.manager_email
        else row
    )


def _undo(ctx: JobContext, ids: list[int]) -> None:
    write = db.get_db(ctx.app).write
    for start in range(0, len(ids), CHUNK):
        with write() as s:
            s.execute(
                delete(Organisation).where(
                    Organisation.id.in_(ids[start : start + CHUNK])
                )
            )
            s.commit()
