"""The province's deployment and adoption reports (admin). Each organisation's own
report to the Department (manager) is in org_views.py, on this blueprint."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, render_template

from .. import db, geo, timefmt
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Role
from ..auth import roles_required
from ..campaign import pages as campaign
from ..db import utcnow
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
    "to_chuc_da_dan_bang",
    "dia_diem_da_dan_bang",
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
                r.organisations_posted,
                r.venues_posted,
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
            t.organisations_posted,
            t.venues_posted,
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


# The organisation's own pages register their routes on ``bp`` (imported last: they
# import ``bp`` from here).
from . import org_views  # noqa: E402, F401
