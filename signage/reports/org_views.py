"""An organisation's own deployment report (manager): the system's figures prefilled,
staff counts confirmed or corrected, and each venue's board confirmed posted,
optionally with a photo of it on the wall."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy.orm import Session
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from .. import db
from ..accounts.models import Organisation, Role
from ..adoption import services as adoption
from ..auth import org_or_404, roles_required
from ..errors import N_, DomainError, NotFound
from ..forms import CleanForm, apply_domain_error
from ..storage import get_storage
from ..venues import signals as venue_signals
from . import photos, postings, services
from .views import bp

PORTAL = (Role.MANAGER, Role.ADMIN)


class OrgReportForm(CleanForm):
    staff_total = IntegerField(
        _l("Tổng số cán bộ, nhân viên"), validators=[InputRequired(), NumberRange(0)]
    )
    staff_with_app = IntegerField(
        _l("Số người đã cài ứng dụng của thành phố"),
        validators=[InputRequired(), NumberRange(0)],
    )
    screens_running = IntegerField(
        _l("Số màn hình đang phát áp phích điện tử (kể cả phát bằng USB)"),
        validators=[InputRequired(), NumberRange(0)],
    )
    note = TextAreaField(_l("Ghi chú"), validators=[Length(max=4000)])


class PostedForm(CleanForm):
    photo = FileField(_l("Ảnh bảng đã dán (không bắt buộc)"))


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    venue_signals.venue_token_rotated.connect(_forget_rotated, sender=state.app)


def _forget_rotated(app: Any, *, session: Session, old: str, new: str) -> None:
    postings.forget_rotated(session, new)


def _prefill(form: OrgReportForm, org_id: int, history: list[Any]) -> str:
    """Fill the staff fields from the roster matched against the city app when the
    unit uploaded one, else from the last report. Returns where they came from."""
    s = db.session()
    last = history[0] if history else None
    if last is not None:
        form.screens_running.data = last.screens_running
    else:
        form.screens_running.data = postings.system_figures(s, org_id).screens_paired
    figures = adoption.unit_figures(s, org_id)
    if figures is not None:
        form.staff_total.data = figures.staff
        form.staff_with_app.data = figures.with_app
        return "roster"
    if last is not None:
        form.staff_total.data = last.staff_total
        form.staff_with_app.data = last.staff_with_app
        return "last"
    return ""


def _page(
    org: Organisation,
    form: OrgReportForm,
    *,
    source: str = "",
    posting_error: tuple[int, str] | None = None,
    status: int = 200,
) -> Any:
    s = db.session()
    return render_template(
        "reports/org_report.html",
        org=org,
        form=form,
        posted_form=PostedForm(),
        source=source,
        system=postings.system_figures(s, org.id),
        venues=postings.org_postings(s, org.id),
        posting_error=posting_error,
        history=services.org_reports(s, org.id),
    ), status


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
@roles_required(*PORTAL)
def org_report(org_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    form = OrgReportForm()
    source = ""
    if request.method == "GET":
        source = _prefill(form, org.id, services.org_reports(s, org.id, limit=1))
        return _page(org, form, source=source)
    if form.validate_on_submit():
        data = services.ReportData(
            staff_total=form.staff_total.data or 0,
            staff_with_app=form.staff_with_app.data or 0,
            screens_running=form.screens_running.data or 0,
            note=form.note.data or "",
        )
        try:
            services.submit_report(s, org.id, data, current_user.id)
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã gửi báo cáo cho Sở."), "success")
            return redirect(url_for("reports.org_report", org_id=org.id))
    return _page(org, form, status=422)


def _photo_policy() -> photos.PhotoPolicy:
    cfg = current_app.config
    return photos.PhotoPolicy(
        max_bytes=int(cfg["BOARD_PHOTO_MAX_BYTES"]),
        max_pixels=int(cfg["BOARD_PHOTO_MAX_PIXELS"]),
    )


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/posted")
@roles_required(*PORTAL)
def confirm_posted(org_id: int, venue_id: int) -> Any:
    """Confirm the venue's board is on the wall; a photo (PNG/JPEG/WebP) may come
    along. A bad photo answers 422 with the page and nothing is recorded."""
    org = org_or_404(org_id)
    form = PostedForm()
    if not form.validate_on_submit():
        return _page(org, OrgReportForm(formdata=None), status=422)
    upload = form.photo.data
    try:
        photo = None
        if upload is not None and getattr(upload, "filename", None):
            limit = int(current_app.config["BOARD_PHOTO_MAX_BYTES"])
            try:
                raw = upload.read(limit + 1)
            finally:
                upload.close()  # a large upload is a temporary file: let it go now
            photo = photos.clean_photo(raw, _photo_policy())
        postings.confirm_posted(
            db.session(),
            get_storage(current_app),
            org_id=org.id,
            venue_id=venue_id,
            user_id=current_user.id,
            photo=photo,
        )
    except NotFound:
        raise  # another organisation's venue: the same 404 as a missing one
    except DomainError as e:
        form_ = OrgReportForm(formdata=None)
        return _page(org, form_, posting_error=(venue_id, e.translated()), status=422)
    flash(_("Đã xác nhận bảng QR đã được dán."), "success")
    return redirect(url_for("reports.org_report", org_id=org.id) + "#posted")


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/posted/withdraw")
@roles_required(*PORTAL)
def withdraw_posted(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    form = CleanForm()
    if not form.validate_on_submit():
        return _page(org, OrgReportForm(formdata=None), status=422)
    if postings.withdraw(db.session(), org_id=org.id, venue_id=venue_id):
        flash(_("Đã bỏ xác nhận bảng đã dán."), "info")
    return redirect(url_for("reports.org_report", org_id=org.id) + "#posted")


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>/posted/photo.jpg")
@roles_required(*PORTAL)
def posted_photo(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    key = postings.photo_key(db.session(), org_id=org.id, venue_id=venue_id)
    try:
        body = get_storage(current_app).open(key)
    except FileNotFoundError as e:
        raise NotFound(N_("Ảnh không còn trên máy chủ.")) from e
    resp = send_file(body, mimetype="image/jpeg", max_age=0)
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
