"""Organisation CSV import by the admin or a supervisor (within its subtree):
upload → preview (every error listed) → confirm; large files as a job."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import audit, db
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Role
from ..auth import roles_required
from ..extensions import this_app
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..venues.forms import ImportConfirmForm, ImportForm
from . import jobs as unit_jobs
from . import orgimport, services

bp = Blueprint("units_import", __name__, url_prefix="/units/import")
OVERSEERS = (Role.ADMIN, Role.SUPERVISOR)
MAX_BYTES = 5 * 1024 * 1024
PREVIEW_ROWS = 50
_SALT = "signage.units.import"
_MAX_AGE = 3600


def _province() -> int:
    return int(current_app.config["DEFAULT_PROVINCE_CODE"])


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _known() -> orgimport.Known:
    return services.known_for(db.session(), current_user, _province())


def _preview(result: orgimport.ParseResult, text: str | None) -> Any:
    confirm = ImportConfirmForm()
    if result.ok and text is not None:
        confirm.payload.data = _signer().dumps({"user": current_user.id, "text": text})
    names = {v: k for k, v in _known().in_scope.items() if not k.isdigit()}
    return render_template(
        "units/import_preview.html",
        result=result,
        preview=list(zip(result.lines, result.rows, strict=False))[:PREVIEW_ROWS],
        kinds=ORG_KIND_LABELS,
        parents=names,
        form=confirm,
        upload=ImportForm(),
    ), (200 if result.ok else 422)


@bp.get("/template.csv")
@roles_required(*OVERSEERS)
def template() -> Any:
    return Response(
        orgimport.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=mau-to-chuc.csv"},
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required(*OVERSEERS)
def upload() -> Any:
    form = ImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            form.file.errors = [_("Tệp lớn hơn 5 MB: hãy chia thành nhiều tệp.")]
        else:
            result = orgimport.parse(raw, _known())
            return _preview(result, result.text)
    status = 422 if request.method == "POST" else 200
    return render_template("units/import.html", form=form), status


@bp.post("/confirm")
@roles_required(*OVERSEERS)
def confirm() -> Any:
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staged = _signer().loads(form.payload.data, max_age=_MAX_AGE)
    except SignatureExpired:
        flash(_("Bản xem trước đã quá hạn. Hãy tải tệp lên lại."), "error")
        return redirect(url_for("units_import.upload"))
    except BadSignature:
        abort(400)
    if staged.get("user") != current_user.id:
        abort(400)
    result = orgimport.parse_text(staged["text"], _known())
    if not result.ok:
        return _preview(result, None)
    s = db.session()
    if len(result.rows) > int(current_app.config["IMPORT_JOB_ROWS"]):
        job = queue.submit(
            this_app(),
            s,
            JobRequest(
                kind=unit_jobs.IMPORT,
                owner_id=current_user.id,
                params={"province_code": _province()},
                private={"text": staged["text"]},  # contacts: encrypted
                title=_("Nhập tổ chức từ tệp CSV"),
                dedupe_key=dedupe_key(
                    unit_jobs.IMPORT, current_user.id, staged["text"]
                ),
            ),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    invited = services.create_orgs(
        s, result.rows, province_code=_province(), invited_by=current_user.id
    )
    audit.record(
        s,
        user_id=current_user.id,
        action="units.import",
        target="organisations",
        ip=request.remote_addr or "",
        count=len(result.rows),
        invited=invited,
    )
    flash(
        _(
            "Đã nhập %(n)s tổ chức và gửi %(i)s lời mời qua email.",
            n=len(result.rows),
            i=invited,
        ),
        "success",
    )
    return redirect(url_for("units.dashboard"))
