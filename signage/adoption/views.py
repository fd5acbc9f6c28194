"""Civil servants' adoption: a unit's roster page (its manager), the province's page
(the app's account list, adoption by unit and its exports for the Department of Home
Affairs). Rosters are personal data: every page or file that shows staff is audited,
and names and phones are never logged."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, db, geo, timefmt
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Organisation, Role
from ..auth import org_or_404, roles_required
from ..checkin.people import mask, national
from ..extensions import this_app
from ..forms import CleanForm
from ..jobs import queue
from ..jobs.services import JobRequest
from ..storage import get_storage
from ..web import csv_download
from . import export, jobs, rosterfile, services
from .forms import RETENTION_LABELS, RetentionForm, UploadForm

bp = Blueprint("adoption", __name__)
PORTAL = (Role.MANAGER, Role.ADMIN)
STAFF_SHOWN = 200  # on the page; the CSV lists them all


def _audit(action: str, target: str, **detail: Any) -> None:
    audit.record(
        db.session(),
        user_id=current_user.id,
        action=action,
        target=target,
        ip=request.remote_addr or "",
        **detail,
    )


def _read_upload(form: UploadForm, limit: int) -> bytes | None:
    """The uploaded bytes, or None with the error set on the form."""
    upload = form.file.data
    try:
        raw: bytes = upload.read(limit + 1)
    finally:
        upload.close()  # a large upload is a temporary file: let it go now
    if len(raw) > limit:
        form.file.errors = [
            _("Tệp lớn hơn %(n)s MB: hãy chia thành nhiều tệp.", n=limit // 2**20)
        ]
        return None
    if not raw.strip():
        form.file.errors = [_("Tệp trống.")]
        return None
    return raw


# A unit's roster ------------------------------------------------------------------


def _unit_page(org: Organisation, upload: UploadForm, status: int = 200) -> Any:
    s = db.session()
    roster = services.current_roster(s, org.id)
    staff: list[services.StaffRow] = []
    if roster is not None:
        staff = services.staff_without_app(s, org.id, limit=STAFF_SHOWN)
        _audit("roster.view", f"organisation:{org.id}", shown=len(staff))
    retention = RetentionForm(formdata=None)
    retention.days.data = roster.retention_days if roster else None
    return render_template(
        "adoption/unit.html",
        org=org,
        roster=roster,
        figures=services.unit_figures(s, org.id),
        app_list=services.current_app_list(s),
        rejected=services.last_rejected(s, org.id),
        importing=services.importing_roster(s, org.id),
        staff=staff,
        staff_shown=STAFF_SHOWN,
        mask=mask,
        upload=upload,
        retention=retention,
        action_form=CleanForm(),
    ), status


@bp.get("/orgs/<int:org_id>/adoption/")
@roles_required(*PORTAL)
@db.writes
def unit(org_id: int) -> Any:
    """The unit's adoption %, its staff without the app (audited), its uploads."""
    return _unit_page(org_or_404(org_id), UploadForm(formdata=None))


@bp.post("/orgs/<int:org_id>/adoption/roster")
@roles_required(*PORTAL)
def upload_roster(org_id: int) -> Any:
    """A new roster replaces the unit's current one once it is checked whole; the
    check and the import run as a job (its page shows the progress)."""
    org = org_or_404(org_id)
    form = UploadForm()
    if not form.validate_on_submit():
        return _unit_page(org, form, 422)
    raw = _read_upload(form, int(current_app.config["ROSTER_MAX_BYTES"]))
    if raw is None:
        return _unit_page(org, form, 422)
    s = db.session()
    days = int(current_app.config["ROSTER_RETENTION_DAYS"])
    roster = services.start_roster(s, org.id, current_user.id, days)
    key = jobs.stage(get_storage(current_app), raw)
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=jobs.ROSTER_IMPORT,
            owner_id=current_user.id,
            params={"roster_id": roster.id, "org_id": org.id, "file": key},
            title=_("Danh sách cán bộ – %(org)s", org=org.name),
        ),
    )
    roster.job_id = job.id
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.get("/orgs/<int:org_id>/adoption/template.csv")
@roles_required(*PORTAL)
def roster_template(org_id: int) -> Any:
    org_or_404(org_id)
    return csv_download(rosterfile.template_rows(), "mau-danh-sach-can-bo.csv")


@bp.get("/orgs/<int:org_id>/adoption/without-app.csv")
@roles_required(*PORTAL)
@db.writes
def without_app_csv(org_id: int) -> Any:
    """Every member of staff without the app, with their full phone number so the
    unit can call them (audited)."""
    org = org_or_404(org_id)
    staff = services.staff_without_app(db.session(), org.id)
    _audit("roster.export", f"organisation:{org.id}", count=len(staff))
    rows: list[list[Any]] = [["dong", "ho_va_ten", "so_dien_thoai", "chuc_vu"]]
    rows += [[r.line, r.name, national(r.phone), r.position] for r in staff]
    stamp = timefmt.today_local().isoformat()
    return csv_download(rows, f"chua-cai-ung-dung-{org.id}-{stamp}.csv")


@bp.post("/orgs/<int:org_id>/adoption/retention")
@roles_required(*PORTAL)
def set_retention(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = RetentionForm()
    if not form.validate_on_submit():
        return _unit_page(org, UploadForm(formdata=None), 422)
    roster = services.set_retention(db.session(), org.id, int(form.days.data))
    _audit("roster.retention", f"organisation:{org.id}", days=roster.retention_days)
    flash(
        _(
            "Danh sách sẽ tự động xoá sau %(when)s.",
            when=RETENTION_LABELS[roster.retention_days],
        ),
        "success",
    )
    return redirect(url_for("adoption.unit", org_id=org.id))


@bp.post("/orgs/<int:org_id>/adoption/delete")
@roles_required(*PORTAL)
def delete_roster(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = CleanForm()
    if not form.validate_on_submit():
        return _unit_page(org, UploadForm(formdata=None), 422)
    s = db.session()
    n = services.retire_rosters(s, org.id)
    _audit("roster.delete", f"organisation:{org.id}", count=n)
    queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=jobs.ROSTER_DELETE,
            owner_id=current_user.id,
            params={"org_id": org.id},
            title=_("Xoá danh sách cán bộ – %(org)s", org=org.name),
        ),
    )
    flash(_("Đã xoá danh sách cán bộ của đơn vị."), "success")
    return redirect(url_for("adoption.unit", org_id=org.id))


# The province -----------------------------------------------------------------------


def _province() -> int:
    return int(current_app.config["DEFAULT_PROVINCE_CODE"])


def _province_page(upload: UploadForm, status: int = 200) -> Any:
    s = db.session()
    units = services.province_units(s, _province())
    staff = sum(u.figures.staff for u in units)
    with_app = sum(u.figures.with_app for u in units)
    return render_template(
        "adoption/province.html",
        units=units,
        staff=staff,
        with_app=with_app,
        app_list=services.current_app_list(s),
        last_upload=services.last_app_upload(s),
        kinds=ORG_KIND_LABELS,
        upload=upload,
    ), status


@bp.get("/adoption/")
@roles_required(Role.ADMIN)
def province() -> Any:
    """Adoption by unit (counts only: no names or phones on this page)."""
    return _province_page(UploadForm(formdata=None))


@bp.post("/adoption/app-list")
@roles_required(Role.ADMIN)
def upload_app_list() -> Any:
    """The city app's account export replaces the previous list once it is read
    whole; only keyed hashes of its numbers are kept."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _province_page(form, 422)
    raw = _read_upload(form, int(current_app.config["APP_LIST_MAX_BYTES"]))
    if raw is None:
        return _province_page(form, 422)
    s = db.session()
    app_list = services.start_app_list(s, current_user.id)
    key = jobs.stage(get_storage(current_app), raw)
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=jobs.APP_IMPORT,
            owner_id=current_user.id,
            params={"list_id": app_list.id, "file": key},
            title=_("Danh sách tài khoản ứng dụng"),
        ),
    )
    app_list.job_id = job.id
    return redirect(url_for("jobs.show", job_id=job.id))


UNIT_HEADER = [
    "ma_to_chuc",
    "to_chuc",
    "loai_hinh",
    "phuong_xa",
    "so_can_bo",
    "da_cai_ung_dung",
    "chua_cai",
    "ty_le_phan_tram",
    "ngay_cap_nhat_danh_sach",
]


def _unit_rows() -> list[list[Any]]:
    units = services.province_units(db.session(), _province())
    _audit("adoption.export", f"province:{_province()}", units=len(units))
    rows: list[list[Any]] = [UNIT_HEADER]
    for u in units:
        f = u.figures
        rows.append(
            [
                u.organisation.id,
                u.organisation.name,
                str(ORG_KIND_LABELS[u.organisation.kind]),
                geo.ward_name(u.organisation.ward_code),
                f.staff,
                f.with_app,
                f.without_app,
                round(f.share * 100, 1),
                f.roster_at.astimezone(timefmt.zone()).date().isoformat(),
            ]
        )
    return rows


@bp.get("/adoption/units.csv")
@roles_required(Role.ADMIN)
@db.writes
def units_csv() -> Any:
    stamp = timefmt.today_local().isoformat()
    return csv_download(_unit_rows(), f"cai-dat-ung-dung-theo-don-vi-{stamp}.csv")


@bp.get("/adoption/units.xlsx")
@roles_required(Role.ADMIN)
@db.writes
def units_xlsx() -> Any:
    stamp = timefmt.today_local().isoformat()
    body = export.xlsx(_unit_rows(), "Cai dat ung dung")
    name = f"cai-dat-ung-dung-theo-don-vi-{stamp}.xlsx"
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
