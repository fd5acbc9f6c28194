"""Large venue CSV imports as background jobs (the same parser and service as the
portal's confirm step and the CLI)."""

from __future__ import annotations

from sqlalchemy import delete

from .. import audit, db
from ..accounts.models import Organisation
from ..errors import N_
from ..jobs.runner import Cancelled, JobContext, JobFailed, task
from . import csvimport, services
from .models import Venue

IMPORT = "venues.import"
CHUNK = 500
INVALID = N_("Tệp không còn hợp lệ khi nhập. Hãy tải tệp lên lại để xem lỗi.")
FAILED = N_("Nhập địa điểm không thành công; không địa điểm nào được thêm.")


@task(IMPORT)
def import_venues(ctx: JobContext) -> None:
    """Validate the staged text again, then insert CHUNK rows per transaction (no
    long write lock: check-ins keep flowing). All or nothing: when a chunk fails or
    the job is cancelled, the venues already inserted by this job are deleted."""
    org_id = int(ctx.params["org_id"])
    with db.get_db(ctx.app).read() as s:
        org = s.get(Organisation, org_id)
        if org is None:
            raise JobFailed(FAILED)
        province, ward = org.province_code, org.ward_code
    result = csvimport.parse_text(
        ctx.params["text"], province_code=province, default_ward=ward
    )
    if not result.ok:
        raise JobFailed(INVALID)
    total = len(result.rows)
    ctx.progress(0, total)
    write = db.get_db(ctx.app).write
    ids: list[int] = []
    try:
        for start in range(0, total, CHUNK):
            made: list[Venue] = []
            with write() as s:
                org = s.get(Organisation, org_id)
                if org is None:
                    raise JobFailed(FAILED)
                services.create_venues(s, org, result.rows[start : start + CHUNK], made)
                s.commit()
            ids.extend(v.id for v in made)
            ctx.progress(len(ids), force=True)
        with write() as s:
            audit.record(
                s,
                user_id=ctx.owner_id,
                action="venues.import",
                target=f"organisation:{org_id}",
                count=len(ids),
                source="job",
            )
            s.commit()
    except (Cancelled, JobFailed):
        _undo(ctx, ids)
        raise
    except Exception as e:
        _undo(ctx, ids)
        raise JobFailed(FAILED) from e


def _undo(ctx: JobContext, ids: list[int]) -> None:
    write = db.get_db(ctx.app).write
    for start in range(0, len(ids), CHUNK):
        with write() as s:
            s.execute(delete(Venue).where(Venue.id.in_(ids[start : start + CHUNK])))
            s.commit()
