"""Org portal: an organisation's venues (list, create, edit, deactivate, rotate)."""

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
from ..accounts.models import Organisation, Role
from ..auth import org_or_404, roles_required
from ..errors import DomainError
from ..extensions import this_app
from ..forms import CleanForm, apply_domain_error
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from . import csvimport, services, signals, tokens
from . import jobs as venue_jobs
from .forms import CATEGORY_LABELS, ImportConfirmForm, ImportForm, VenueForm
from .models import VenueCategory

bp = Blueprint("venues", __name__)
PORTAL = (Role.ADMIN, Role.MANAGER)


@bp.get("/orgs/")
@roles_required(*PORTAL)
def my_org() -> Any:
    if current_user.role is Role.ADMIN:
        return redirect(url_for("accounts.orgs"))
    return redirect(url_for("venues.org_home", org_id=current_user.organisation_id))


@bp.get("/orgs/<int:org_id>/")
@roles_required(*PORTAL)
def org_home(org_id: int) -> Any:
    org = org_or_404(org_id)
    venues = services.list_venues(db.session(), org.id)
    return render_template(
        "venues/org_home.html",
        org=org,
        venues=venues,
        categories=CATEGORY_LABELS,
        action_form=CleanForm(),
        grouped=tokens.grouped,
    )


def _data(form: VenueForm) -> services.VenueData:
    return services.VenueData(
        name=form.name.data or "",
        address=form.address.data or "",
        ward_code=form.ward_code.data,
        category=VenueCategory(form.category.data),
        stay_minutes=int(form.stay_minutes.data or 60),
    )


def _status(form: VenueForm) -> int:
    return (
        422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    )


@bp.route("/orgs/<int:org_id>/venues/new", methods=["GET", "POST"])
@roles_required(*PORTAL)
def venue_new(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = VenueForm()
    if request.method == "GET":
        form.ward_code.data = org.ward_code
        form.address.data = org.address
    form.set_wards(org.province_code)
    if form.validate_on_submit():
        s = db.session()
        try:
            venue = services.create_venue(s, org, _data(form))
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã thêm địa điểm %(name)s.", name=venue.name), "success")
            return redirect(url_for("venues.venue", org_id=org.id, venue_id=venue.id))
    return render_template(
        "venues/venue_form.html", form=form, org=org, venue=None
    ), _status(form)


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>")
@roles_required(*PORTAL)
def venue(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    v = services.get_venue(db.session(), venue_id, org.id)
    return render_template(
        "venues/venue.html",
        org=org,
        venue=v,
        categories=CATEGORY_LABELS,
        action_form=CleanForm(),
        grouped=tokens.grouped,
    )


@bp.route("/orgs/<int:org_id>/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles_required(*PORTAL)
def venue_edit(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    form = VenueForm(obj=v)
    if request.method == "GET":
        form.category.data = v.category.value
    form.set_wards(org.province_code)
    if form.validate_on_submit():
        try:
            services.update_venue(s, v, _data(form))
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))
    return render_template(
        "venues/venue_form.html", form=form, org=org, venue=v
    ), _status(form)


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/active")
@roles_required(*PORTAL)
def venue_active(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    if not CleanForm().validate_on_submit():
        abort(400)
    services.set_active(s, v, not v.active)
    flash(
        _("Đã mở lại địa điểm.") if v.active else _("Đã tạm ngừng địa điểm."), "success"
    )
    return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/rotate")
@roles_required(*PORTAL)
def venue_rotate(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    if not CleanForm().validate_on_submit():
        abort(400)
    old = v.token
    services.rotate_token(s, v)
    app = this_app()
    signals.venue_token_rotated.send(app, session=s, old=old, new=v.token)
    flash(
        _("Đã cấp mã mới. Bảng cũ không còn dùng được: hãy in và dán bảng mới."),
        "success",
    )
    return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))


# CSV import: upload -> preview (every error listed) -> confirm ---------------------
# Between preview and confirm the decoded file travels in the confirm form, signed with
# the app secret and bound to the organisation and the user: any worker can finish the
# import, nothing is kept on the server, and the text is validated again on confirm.

IMPORT_MAX_BYTES = 5 * 1024 * 1024
PREVIEW_ROWS = 50
_IMPORT_SALT = "signage.venues.import"
_IMPORT_MAX_AGE = 3600


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_IMPORT_SALT)


def _parse(org: Organisation, text: str) -> csvimport.ParseResult:
    return csvimport.parse_text(
        text, province_code=org.province_code, default_ward=org.ward_code
    )


def _preview(org: Organisation, result: csvimport.ParseResult, text: str | None) -> Any:
    confirm = ImportConfirmForm()
    if result.ok and text is not None:
        confirm.payload.data = _signer().dumps(
            {"org": org.id, "user": current_user.id, "text": text}
        )
    return render_template(
        "venues/import_preview.html",
        org=org,
        result=result,
        preview=list(zip(result.lines, result.rows, strict=False))[:PREVIEW_ROWS],
        categories=CATEGORY_LABELS,
        form=confirm,
        upload=ImportForm(),
    ), (200 if result.ok else 422)


@bp.get("/orgs/<int:org_id>/venues/import/template.csv")
@roles_required(*PORTAL)
def import_template(org_id: int) -> Any:
    org_or_404(org_id)
    return Response(
        csvimport.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=mau-dia-diem.csv"},
    )


@bp.route("/orgs/<int:org_id>/venues/import", methods=["GET", "POST"])
@roles_required(*PORTAL)
def import_upload(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = ImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(IMPORT_MAX_BYTES + 1)
        if len(raw) > IMPORT_MAX_BYTES:
            form.file.errors = [_("Tệp lớn hơn 5 MB: hãy chia thành nhiều tệp.")]
        else:
            result = csvimport.parse(
                raw, province_code=org.province_code, default_ward=org.ward_code
            )
            return _preview(org, result, result.text)
    status = 422 if request.method == "POST" else 200
    return render_template("venues/import.html", org=org, form=form), status


def _import_job(org: Organisation, text: str) -> Any:
    """A large file is inserted by a job (chunked, with progress): the answer is
    at once the job's page. The same file confirmed twice is one job."""
    s = db.session()
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=venue_jobs.IMPORT,
            owner_id=current_user.id,
            params={"org_id": org.id},
            private={"text": text},  # contacts' names and numbers: encrypted
            title=_("Nhập địa điểm từ tệp CSV – %(org)s", org=org.name),
            dedupe_key=dedupe_key(venue_jobs.IMPORT, current_user.id, org.id, text),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/orgs/<int:org_id>/venues/import/confirm")
@roles_required(*PORTAL)
def import_confirm(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        staged = _signer().loads(form.payload.data, max_age=_IMPORT_MAX_AGE)
    except SignatureExpired:
        flash(_("Bản xem trước đã quá hạn. Hãy tải tệp lên lại."), "error")
        return redirect(url_for("venues.import_upload", org_id=org.id))
    except BadSignature:
        abort(400)
    if staged.get("org") != org.id or staged.get("user") != current_user.id:
        abort(400)
    result = _parse(org, staged["text"])
    if not result.ok:
        return _preview(org, result, None)
    if len(result.rows) > int(current_app.config["IMPORT_JOB_ROWS"]):
        return _import_job(org, staged["text"])
    s = db.session()
    count = services.create_venues(s, org, result.rows)
    audit.record(
        s,
        user_id=current_user.id,
        action="venues.import",
        target=f"organisation:{org.id}",
        ip=request.remote_addr or "",
        count=count,
    )
    flash(_("Đã nhập %(n)s địa điểm.", n=count), "success")
    return redirect(url_for("venues.org_home", org_id=org.id))
