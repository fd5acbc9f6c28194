"""Jobs as their owner sees them: "Việc của tôi", a job's page (JSON for the
progress bar), cancel, and the result file. Only the user who asked for a job (and
the province admin) can see it; everyone else gets the same 404 as for no job."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import N_, Gone
from ..storage import get_storage
from ..web import wants_json
from . import services
from .models import Job

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
# Door staff make no jobs and see nothing but their scan pages.
EVERYONE = tuple(r for r in Role if r is not Role.DOOR)


def _job(job_id: str) -> Job:
    return services.job_for(db.session(), job_id, current_user)


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "state": job.state.value,
        "done": job.done,
        "total": job.total,
        "download": url_for("jobs.download", job_id=job.id)
        if services.file_available(job)
        else None,
        "error": _(job.error) if job.error else None,
    }


@bp.get("/")
@roles_required(*EVERYONE)
def mine() -> Any:
    jobs = services.recent_jobs(db.session(), current_user.id)
    return render_template(
        "jobs/list.html", jobs=jobs, available=services.file_available
    )


@bp.get("/<job_id>")
@roles_required(*EVERYONE)
def show(job_id: str) -> Any:
    """JSON ``{"id","state","done","total","download","error"}`` when asked with
    ``Accept: application/json``; otherwise the page with the progress bar."""
    job = _job(job_id)
    if wants_json():
        resp = jsonify(job_json(job))
        resp.headers["Cache-Control"] = "no-store"
        return resp
    return render_template("jobs/show.html", job=job, data=job_json(job))


@bp.post("/<job_id>/cancel")
@roles_required(*EVERYONE)
def cancel(job_id: str) -> Any:
    s = db.session()
    job = _job(job_id)
    if services.cancel(s, job):
        flash(_("Đã huỷ việc."), "info")
    else:
        flash(_("Việc đã kết thúc nên không huỷ được nữa."), "info")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/<job_id>/file")
@roles_required(*EVERYONE)
def download(job_id: str) -> Any:
    job = _job(job_id)
    if not services.file_available(job):
        raise Gone(N_("Tệp của việc này không còn (đã hết hạn hoặc chưa xong)."))
    assert job.file_key is not None
    try:
        body = get_storage(current_app).open(job.file_key)
    except FileNotFoundError as e:
        raise Gone(N_("Tệp của việc này không còn (đã hết hạn hoặc chưa xong).")) from e
    resp = send_file(
        body,
        mimetype=job.file_mime or "application/octet-stream",
        as_attachment=True,
        download_name=job.file_name or "tep",
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.app_template_global()
def job_state_label(state: str) -> str:
    return {
        "queued": _("Đang chờ"),
        "running": _("Đang chạy"),
        "done": _("Xong"),
        "failed": _("Lỗi"),
        "cancelled": _("Đã huỷ"),
    }.get(state, state)
