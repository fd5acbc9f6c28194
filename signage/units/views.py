"""Supervisors' pages (and the province admin's view of the whole tree): the
deployment dashboard of a unit's subtree, its progress chart, drill-down to an
organisation and a venue, the laggards with their contacts, and CSVs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import (
    Blueprint,
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
from sqlalchemy import select

from .. import audit, campaign, db, geo, timefmt
from ..accounts import links
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Organisation, Role
from ..auth import roles_required
from ..db import utcnow
from ..errors import DomainError, NotFound
from ..extensions import this_app
from ..forms import CleanForm
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..reports.models import VenueDay, VenueLast
from ..venues.models import Venue
from ..web import csv_download
from . import (
    chart,
    figures,
    mails,
    progress,
    registration,
    reminders,
    tree,
)
from . import remind as reminder_run
from . import services as org_services
from .forms import InviteManagerForm, ParentForm, RefuseForm

bp = Blueprint("units", __name__, url_prefix="/units")
OVERSEERS = (Role.ADMIN, Role.SUPERVISOR)
LAGGARDS_SHOWN = 100  # on the page; the CSV lists them all
# Lines of the branch table on the page (the province root before the tree is set
# up has every organisation as a line); the CSV has them all.
BRANCHES_SHOWN = 300

MISSING_LABELS = reminder_run.MISSING_LABELS


def province_code() -> int:
    return int(current_app.config["DEFAULT_PROVINCE_CODE"])


def campaign_start(today: date) -> date:
    start = campaign.current(db.session(), current_app.config).start
    return progress.campaign_start(start, today)


def scoped_unit(unit_id: int | None) -> Organisation | None:
    """The unit asked for, if the user oversees it (None: the user's own scope's
    top, the province for the admin). 404 outside the user's subtree."""
    s = db.session()
    if unit_id is None:
        mine = tree.scope_of(current_user)
        return s.get(Organisation, mine) if mine is not None else None
    try:
        return tree.get_in_scope(s, current_user, unit_id)
    except NotFound:
        abort(404)


def _path(org_id: int) -> list[Organisation]:
    """The ancestors the user may open, top first (a supervisor's breadcrumb starts
    at its own unit)."""
    path = list(reversed(tree.ancestors(db.session(), org_id)))
    top = tree.scope_of(current_user)
    if top is None:
        return path
    ids = [a.id for a in path]
    return path[ids.index(top) :] if top in ids else []


def _dashboard(unit: Organisation | None) -> figures.Dashboard:
    return figures.dashboard(
        db.session(),
        unit.id if unit else None,
        province_code=province_code(),
        now=utcnow(),
        zone=timefmt.zone(),
    )


def _chart(unit: Organisation | None, board: figures.Dashboard) -> str:
    today = timefmt.today_local()
    points = progress.series(
        db.session(),
        unit.id if unit else None,
        start=campaign_start(today),
        today_figures=board.total,
        today=today,
    )
    lines = [
        chart.Line(
            str(_("Địa điểm đã có bảng QR")),
            "#0b5394",
            [p.figures.boarded_share for p in points],
        ),
        chart.Line(
            str(_("Địa điểm có khai báo trong 7 ngày")),
            "#38761d",
            [p.figures.active_share for p in points],
        ),
        chart.Line(
            str(_("Tổ chức đã gửi báo cáo")),
            "#b45f06",
            [p.figures.reported_share for p in points],
        ),
        chart.Line(
            str(_("Cán bộ đã cài ứng dụng")),
            "#741b47",
            [p.figures.adoption_share for p in points],
        ),
    ]
    if figures.POSTED_TRACKED:
        lines.insert(
            1,
            chart.Line(
                str(_("Địa điểm đã dán bảng")),
                "#c00000",
                [p.figures.posted_share for p in points],
            ),
        )
    return chart.render(
        [p.day for p in points], lines, title=str(_("Tiến độ theo ngày (%)"))
    )


@bp.get("/", defaults={"unit_id": None})
@bp.get("/<int:unit_id>/")
@roles_required(*OVERSEERS)
def dashboard(unit_id: int | None) -> Any:
    unit = scoped_unit(unit_id)
    board = _dashboard(unit)
    laggards = board.laggards()
    shown = laggards[:LAGGARDS_SHOWN]
    contacts = figures.manager_emails(db.session(), [r.id for r in shown])
    s = db.session()
    path = _path(unit.id) if unit else []
    has_members = set(
        s.scalars(
            select(Organisation.parent_id).where(
                Organisation.parent_id.in_([b.org.id for b in board.branches])
            )
        )
    )
    return render_template(
        "units/dashboard.html",
        unit=unit,
        board=board,
        path=path,
        has_members=has_members,
        laggards=shown,
        laggards_total=len(laggards),
        contacts=contacts,
        missing_labels=MISSING_LABELS,
        kinds=ORG_KIND_LABELS,
        chart_svg=_chart(unit, board),
        posted_tracked=figures.POSTED_TRACKED,
        ward_name=geo.ward_name,
        reminded=reminders.last_sent(s, [r.id for r in shown]),
        remind_every=int(current_app.config["REMINDER_EVERY_DAYS"]),
        branches_shown=BRANCHES_SHOWN,
    )


def _pct(v: float | None) -> str:
    return "" if v is None else f"{v * 100:.1f}"


DASHBOARD_HEADER = [
    "don_vi",
    "loai_hinh",
    "to_chuc",
    "dia_diem",
    "da_co_bang",
    "ty_le_co_bang",
    "da_dan_bang",
    "co_khai_bao_7_ngay",
    "ty_le_khai_bao_7_ngay",
    "da_bao_cao",
    "ty_le_bao_cao",
    "can_bo",
    "da_cai_ung_dung",
    "ty_le_ung_dung",
]


def _line(name: str, kind: str, f: figures.Figures) -> list[Any]:
    return [
        name,
        kind,
        f.organisations,
        f.venues,
        f.venues_boarded,
        _pct(f.boarded_share),
        f.venues_posted if figures.POSTED_TRACKED else "",
        f.venues_active,
        _pct(f.active_share),
        f.orgs_reported,
        _pct(f.reported_share),
        f.staff_total,
        f.staff_with_app,
        _pct(f.adoption_share),
    ]


@bp.get("/dashboard.csv", defaults={"unit_id": None})
@bp.get("/<int:unit_id>/dashboard.csv")
@roles_required(*OVERSEERS)
def dashboard_csv(unit_id: int | None) -> Any:
    unit = scoped_unit(unit_id)
    board = _dashboard(unit)
    rows: list[list[Any]] = [DASHBOARD_HEADER]
    for b in board.branches:
        rows.append(_line(b.org.name, str(ORG_KIND_LABELS[b.org.kind]), b.figures))
    rows.append(_line("TỔNG", "", board.total))
    stamp = timefmt.today_local().isoformat()
    return csv_download(rows, f"tien-do-{unit.id if unit else 'tinh'}-{stamp}.csv")


@bp.get("/laggards.csv", defaults={"unit_id": None})
@bp.get("/<int:unit_id>/laggards.csv")
@roles_required(*OVERSEERS)
def laggards_csv(unit_id: int | None) -> Any:
    unit = scoped_unit(unit_id)
    board = _dashboard(unit)
    laggards = board.laggards()
    contacts = figures.manager_emails(db.session(), [r.id for r in laggards])
    rows: list[list[Any]] = [
        [
            "to_chuc",
            "loai_hinh",
            "phuong_xa",
            "dia_chi",
            "nguoi_lien_he",
            "dien_thoai",
            "email",
            "email_quan_ly",
            "dia_diem",
            "da_co_bang",
            "con_thieu",
        ]
    ]
    for r in laggards:
        rows.append(
            [
                r.name,
                str(ORG_KIND_LABELS[r.kind]),
                geo.ward_name(r.ward_code) if r.ward_code else "",
                r.address,
                r.contact_name,
                r.contact_phone,
                r.contact_email,
                " ".join(contacts.get(r.id, [])),
                r.figures.venues,
                r.figures.venues_boarded,
                "; ".join(str(MISSING_LABELS[m]) for m in r.missing),
            ]
        )
    stamp = timefmt.today_local().isoformat()
    name = f"chua-hoan-thanh-{unit.id if unit else 'tinh'}-{stamp}.csv"
    return csv_download(rows, name)


@bp.get("/orgs/<int:org_id>")
@roles_required(*OVERSEERS)
def org(org_id: int) -> Any:
    """An organisation of the subtree, read-only: its figures and its venues."""
    s = db.session()
    try:
        org = tree.get_in_scope(s, current_user, org_id)
    except NotFound:
        abort(404)
    rows = figures.org_rows(
        s, tree.subtree_of_one(org.id), now=utcnow(), zone=timefmt.zone()
    )
    venues = list(
        s.execute(
            select(Venue, VenueLast.last_checkin_at)
            .outerjoin(VenueLast, VenueLast.venue_id == Venue.id)
            .where(Venue.organisation_id == org.id)
            .order_by(Venue.name)
        )
    )
    boarded = figures.boarded_venues(s, [v.id for v, _at in venues])
    scope = tree.scope_of(current_user)
    parent_form = None
    if org.id != scope:
        parent_form = ParentForm(parent_id=org.parent_id)
        units = tree.units_for_choice(s, province_code(), within=scope)
        parent_form.set_choices(
            [(i, n) for i, n in units if i != org.id], top_level=scope is None
        )
    invite_form = None
    invitations: list[Any] = []
    if org.id != scope:
        invite_form = InviteManagerForm()
        invitations = links.pending_invitations(s, org.id, limit=20)
    return render_template(
        "units/org.html",
        parent_form=parent_form,
        invite_form=invite_form,
        invitations=invitations,
        org=org,
        row=rows.get(org.id),
        venues=venues,
        boarded=boarded,
        contacts=figures.manager_emails(s, [org.id]).get(org.id, []),
        kinds=ORG_KIND_LABELS,
        missing_labels=MISSING_LABELS,
        ward_name=geo.ward_name,
        path=_path(org.id),
    )


VENUE_DAYS = 28


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>")
@roles_required(*OVERSEERS)
def venue(org_id: int, venue_id: int) -> Any:
    """One venue of the subtree: its board, its check-ins per day (rollups)."""
    s = db.session()
    try:
        org = tree.get_in_scope(s, current_user, org_id)
    except NotFound:
        abort(404)
    v = s.get(Venue, venue_id)
    if v is None or v.organisation_id != org.id:
        abort(404)
    today = timefmt.today_local()
    first = today - timedelta(days=VENUE_DAYS - 1)
    counts = dict(
        s.execute(
            select(VenueDay.day, VenueDay.checkins).where(
                VenueDay.venue_id == v.id, VenueDay.day >= first
            )
        ).all()
    )
    days = [(first + timedelta(days=i)) for i in range(VENUE_DAYS)]
    return render_template(
        "units/venue.html",
        org=org,
        venue=v,
        boarded=figures.boarded_venues(s, [v.id]).get(v.id),
        last=s.scalar(
            select(VenueLast.last_checkin_at).where(VenueLast.venue_id == v.id)
        ),
        per_day=[(d, counts.get(d, 0)) for d in days],
        ward_name=geo.ward_name,
    )


# Registrations: the unit's supervisors (or the admin) approve or refuse ------------


@bp.get("/registrations")
@roles_required(*OVERSEERS)
def registrations() -> Any:
    s = db.session()
    pending = registration.pending_in_scope(s, current_user)
    parents = dict(
        s.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_({r.parent_id for r in pending})
            )
        ).all()
    )
    return render_template(
        "units/registrations.html",
        items=[(r, registration.duplicates(s, r)) for r in pending],
        parents=parents,
        kinds=ORG_KIND_LABELS,
        ward_name=geo.ward_name,
    )


def _registration(reg_id: int) -> Any:
    try:
        return registration.get_in_scope(db.session(), current_user, reg_id)
    except NotFound:
        abort(404)


@bp.post("/registrations/<int:reg_id>/approve")
@roles_required(*OVERSEERS)
def registration_approve(reg_id: int) -> Any:
    reg = _registration(reg_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    s = db.session()
    try:
        registration.approve(s, reg, decided_by=current_user.id)
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("units.registrations"))
    _decided(
        s, reg, "units.registration_approved", f"organisation:{reg.organisation_id}"
    )
    flash(_("Đã duyệt %(name)s; đã gửi email cho tổ chức.", name=reg.name), "success")
    return redirect(url_for("units.registrations"))


def _decided(s: Any, reg: Any, action: str, target: str) -> None:
    """After a decision: the registrant's mail and the audit row."""
    mails.decided(s, reg)
    audit.record(
        s,
        user_id=current_user.id,
        action=action,
        target=target,
        ip=request.remote_addr or "",
    )


@bp.post("/registrations/<int:reg_id>/refuse")
@roles_required(*OVERSEERS)
def registration_refuse(reg_id: int) -> Any:
    reg = _registration(reg_id)
    form = RefuseForm()
    if not form.validate_on_submit():
        flash(_("Hãy ghi lý do từ chối."), "error")
        return redirect(url_for("units.registrations"))
    s = db.session()
    try:
        registration.refuse(
            s, reg, reason=form.reason.data or "", decided_by=current_user.id
        )
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("units.registrations"))
    _decided(s, reg, "units.registration_refused", f"registration:{reg.id}")
    flash(_("Đã từ chối %(name)s; đã gửi lý do qua email.", name=reg.name), "success")
    return redirect(url_for("units.registrations"))


@bp.post("/<int:unit_id>/auto-approve")
@roles_required(*OVERSEERS)
def auto_approve(unit_id: int) -> Any:
    unit = scoped_unit(unit_id)
    if unit is None or not CleanForm().validate_on_submit():
        abort(400)
    registration.set_auto_approve(db.session(), unit, not unit.auto_approve)
    flash(
        _("Hồ sơ đăng ký trực thuộc đơn vị này sẽ được duyệt tự động.")
        if unit.auto_approve
        else _("Hồ sơ đăng ký trực thuộc đơn vị này cần được duyệt."),
        "success",
    )
    return redirect(url_for("units.dashboard", unit_id=unit.id))


# Reminders to laggards ----------------------------------------------------------------


@bp.post("/remind", defaults={"unit_id": None})
@bp.post("/<int:unit_id>/remind")
@roles_required(*OVERSEERS)
def remind(unit_id: int | None) -> Any:
    """Mail the chosen laggards (or all of them) of the unit's subtree their own
    missing items; an organisation reminded within REMINDER_EVERY_DAYS is skipped.
    Ids outside the subtree are ignored (they are not among its laggards)."""
    unit = scoped_unit(unit_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    chosen: set[int] | None = None
    if request.form.get("scope") != "all":
        chosen = {int(v) for v in request.form.getlist("org_ids") if v.isdigit()}
        if not chosen:
            flash(_("Hãy chọn ít nhất một tổ chức."), "error")
            return redirect(_back(unit))
    s = db.session()
    board = _dashboard(unit)
    every = int(current_app.config["REMINDER_EVERY_DAYS"])
    todo = reminders.plan(
        s, board.laggards(), chosen=chosen, now=utcnow(), every_days=every
    )
    unit_name = unit.name if unit else str(_("Sở Thông tin và Truyền thông"))
    # The deadline the province set in the campaign settings (config as fallback).
    when = campaign.current(s, current_app.config).deadline
    deadline = reminder_run.deadline_text(when.isoformat() if when else "")
    target = f"organisation:{unit.id}" if unit else "province"
    if len(todo.send) > reminder_run.IN_REQUEST:
        ids = [r.id for r in todo.send]
        job = queue.submit(
            this_app(),
            s,
            JobRequest(
                kind=reminder_run.JOB,
                owner_id=current_user.id,
                params={
                    "org_ids": ids,
                    "every_days": every,
                    "unit_name": unit_name,
                    "deadline": deadline,
                    "target": target,
                },
                title=_("Gửi nhắc %(n)s tổ chức", n=len(ids)),
                dedupe_key=dedupe_key(reminder_run.JOB, current_user.id, *ids),
            ),
        )
        return redirect(url_for("jobs.show", job_id=job.id))
    sent, unreachable = reminder_run.send(
        s, todo.send, unit_name=unit_name, sent_by=current_user.id, deadline=deadline
    )
    audit.record(
        s,
        user_id=current_user.id,
        action="units.reminders",
        target=target,
        ip=request.remote_addr or "",
        sent=sent,
        throttled=len(todo.throttled),
        unreachable=unreachable,
    )
    flash(
        _(
            "Đã gửi nhắc %(sent)s tổ chức; %(held)s tổ chức đã được nhắc trong "
            "%(days)s ngày qua nên chưa gửi lại; %(none)s tổ chức chưa có email.",
            sent=sent,
            held=len(todo.throttled),
            days=every,
            none=unreachable,
        ),
        "success" if sent else "info",
    )
    return redirect(_back(unit))


def _back(unit: Organisation | None) -> str:
    if unit is None:
        return url_for("units.dashboard") + "#laggards"
    return url_for("units.dashboard", unit_id=unit.id) + "#laggards"


# Moving an organisation in the tree -----------------------------------------------


@bp.post("/orgs/<int:org_id>/invite")
@roles_required(*OVERSEERS)
def invite_manager(org_id: int) -> Any:
    """Invite a manager into an organisation of the subtree (a member whose
    manager left, or one imported without a manager's address): the admin
    anywhere, a supervisor below its own unit."""
    s = db.session()
    try:
        org = tree.get_in_scope(s, current_user, org_id)
    except NotFound:
        abort(404)
    if org.id == tree.scope_of(current_user):
        abort(400)
    form = InviteManagerForm()
    back = redirect(url_for("units.org", org_id=org.id))
    if not form.validate_on_submit():
        flash(_("Hãy nhập email người quản lý."), "error")
        return back
    try:
        org_services.invite_manager(
            s, org_id=org.id, email=form.email.data or "", invited_by=current_user.id
        )
    except DomainError as e:
        flash(e.translated(), "error")
        return back
    audit.record(
        s,
        user_id=current_user.id,
        action="units.manager_invited",
        target=f"organisation:{org.id}",
        ip=request.remote_addr or "",
    )
    flash(_("Đã gửi lời mời qua email."), "success")
    return back


@bp.post("/orgs/<int:org_id>/parent")
@roles_required(*OVERSEERS)
def set_parent(org_id: int) -> Any:
    """Hang an organisation under another unit: the admin anywhere; a supervisor
    only within its subtree (never its own unit, never outside)."""
    s = db.session()
    try:
        org = tree.get_in_scope(s, current_user, org_id)
    except NotFound:
        abort(404)
    form = ParentForm()
    scope = tree.scope_of(current_user)
    if (
        not form.validate_on_submit()
        or "parent_id" not in request.form  # "" is the top level; absent is nothing
        or org.id == scope
    ):
        abort(400)
    parent_id = form.parent_id.data
    # A supervisor's choices stay in its subtree (no top-level organisation either).
    outside = (
        scope is not None
        if parent_id is None
        else not tree.may_see(s, current_user, parent_id)
    )
    if outside:
        flash(_("Đơn vị cấp trên phải thuộc phạm vi quản lý của bạn."), "error")
        return redirect(url_for("units.org", org_id=org.id))
    try:
        tree.set_parent(s, org, parent_id)
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("units.org", org_id=org.id))
    audit.record(
        s,
        user_id=current_user.id,
        action="units.parent_changed",
        target=f"organisation:{org.id}",
        ip=request.remote_addr or "",
        parent=parent_id,
    )
    flash(_("Đã chuyển %(name)s sang đơn vị cấp trên mới.", name=org.name), "success")
    return redirect(url_for("units.org", org_id=org.id))
