"""The province's deployment and adoption reports (admin), and each organisation's
own report to the Department (manager)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange

from .. import db, geo, timefmt
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Role
from ..auth import org_or_404, roles_required
from ..campaign import pages as campaign
from ..db import utcnow
from ..errors import DomainError
from ..forms import CleanForm, apply_domain_error
from ..web import csv_download
from . import services

bp = Blueprint("reports", __name__, url_prefix="/reports")

PER_DAY = 14
LAGGARDS_SHOWN = 100  # on the page; the CSV lists them all


def _province() -> int:
    """The province the reports cover (the deployment's own)."""
    return int(current_app.config["DEFAULT_PROVINCE_CODE"])


def campaign_deadline() -> date | None:
    """The deadline set on the campaign settings page (signage.campaign)."""
    return campaign.identity().deadline


def _deployment() -> services.Deployment:
    cfg = current_app.config
    s = db.session()
    report = services.deployment(
        s,
        province_code=_province(),
        now=utcnow(),
        active_days=int(cfg["REPORTS_ACTIVE_DAYS"]),
        deadline=campaign_deadline(),
    )
    report.per_day = services.checkins_per_day(
        s,
        days=PER_DAY,
        today=timefmt.today_local(),
        zone=timefmt.zone(),
        province_code=_province(),
    )
    return report


@bp.get("/")
@roles_required(Role.ADMIN)
def deployment() -> Any:
    report = _deployment()
    province = geo.province(_province())
    laggards = services.laggards(
        db.session(), province_code=_province(), limit=LAGGARDS_SHOWN
    )
    laggards_total = services.count_laggards(db.session(), province_code=_province())
    peak = max((n for _d, n in report.per_day), default=0)
    adoption, adoption_total = services.adoption(
        db.session(), province_code=_province()
    )
    return render_template(
        "reports/deployment.html",
        report=report,
        province=province,
        kinds=ORG_KIND_LABELS,
        laggards=laggards,
        laggards_total=laggards_total,
        laggards_shown=LAGGARDS_SHOWN,
        peak=peak,
        today=timefmt.today_local(),
        adoption=adoption,
        adoption_total=adoption_total,
    )


HEADER = [
    "ma_phuong_xa",
    "phuong_xa",
    "to_chuc",
    "to_chuc_da_in_bang",
    "dia_diem",
    "dia_diem_dang_dung",
    "dia_diem_da_in_bang",
    "dia_diem_co_khai_bao_7_ngay",
]


@bp.get("/deployment.csv")
@roles_required(Role.ADMIN)
def deployment_csv() -> Any:
    report = _deployment()
    rows: list[list[Any]] = [HEADER]
    for r in report.by_ward:
        rows.append(
            [
                r.key or "",
                geo.ward_name(r.key) if r.key else "",
                r.organisations,
                r.organisations_printed,
                r.venues,
                r.venues_active,
                r.venues_printed,
                r.venues_in_use,
            ]
        )
    t = report.total
    rows.append(
        [
            "",
            "TỔNG",
            t.organisations,
            t.organisations_printed,
            t.venues,
            t.venues_active,
            t.venues_printed,
            t.venues_in_use,
        ]
    )
    stamp = timefmt.today_local().isoformat()
    return csv_download(rows, f"trien-khai-{stamp}.csv")


@bp.get("/laggards.csv")
@roles_required(Role.ADMIN)
def laggards_csv() -> Any:
    rows: list[list[Any]] = [
        [
            "to_chuc",
            "loai_hinh",
            "phuong_xa",
            "dia_chi",
            "nguoi_lien_he",
            "dien_thoai",
            "dia_diem",
        ]
    ]
    for lag in services.laggards(db.session(), province_code=_province()):
        org = lag.organisation
        rows.append(
            [
                org.name,
                str(ORG_KIND_LABELS[org.kind]),
                geo.ward_name(org.ward_code),
                org.address,
                org.contact_name,
                org.contact_phone,
                lag.venues,
            ]
        )
    stamp = timefmt.today_local().isoformat()
    return csv_download(rows, f"chua-in-bang-{stamp}.csv")


# An organisation's own report (manager) ------------------------------------------


class OrgReportForm(CleanForm):
    staff_total = IntegerField(
        _l("Tổng số cán bộ, nhân viên"), validators=[InputRequired(), NumberRange(0)]
    )
    staff_with_app = IntegerField(
        _l("Số người đã cài ứng dụng của thành phố"),
        validators=[InputRequired(), NumberRange(0)],
    )
    boards_posted = IntegerField(
        _l("Số nơi đã dán bảng mã QR"), validators=[InputRequired(), NumberRange(0)]
    )
    screens_running = IntegerField(
        _l("Số màn hình đang phát áp phích điện tử"),
        validators=[InputRequired(), NumberRange(0)],
    )
    note = TextAreaField(_l("Ghi chú"), validators=[Length(max=4000)])


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def org_report(org_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    history = services.org_reports(s, org.id)
    form = OrgReportForm()
    if request.method == "GET" and history:
        last = history[0]
        for name in (
            "staff_total",
            "staff_with_app",
            "boards_posted",
            "screens_running",
        ):
            getattr(form, name).data = getattr(last, name)
    status = 200
    if form.validate_on_submit():
        data = services.ReportData(
            staff_total=form.staff_total.data or 0,
            staff_with_app=form.staff_with_app.data or 0,
            boards_posted=form.boards_posted.data or 0,
            screens_running=form.screens_running.data or 0,
            note=form.note.data or "",
        )
        try:
            services.submit_report(s, org.id, data, current_user.id)
        except DomainError as e:
            apply_domain_error(form, e.field, _(e.message))
            status = 422
        else:
            flash(_("Đã gửi báo cáo cho Sở."), "success")
            return redirect(url_for("reports.org_report", org_id=org.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "reports/org_report.html", org=org, form=form, history=history
    ), status


@bp.get("/adoption.csv")
@roles_required(Role.ADMIN)
def adoption_csv() -> Any:
    rows, total = services.adoption(db.session(), province_code=_province())
    out: list[list[Any]] = [
        [
            "loai_hinh",
            "to_chuc",
            "da_bao_cao",
            "can_bo",
            "da_cai_ung_dung",
            "noi_dan_bang",
            "man_hinh",
        ]
    ]
    for r in [*rows, total]:
        out.append(
            [
                str(ORG_KIND_LABELS[r.key]) if r.key else "TỔNG",
                r.organisations,
                r.reported,
                r.staff_total,
                r.staff_with_app,
                r.boards_posted,
                r.screens_running,
            ]
        )
    stamp = timefmt.today_local().isoformat()
    return csv_download(out, f"ung-dung-{stamp}.csv")
