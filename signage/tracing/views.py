"""Health officers' exposure queries. Results carry full names and phones (the officer
has to call people), so every query and every export is written to the audit log with
who, when, why and what was asked; nothing is cached by the browser."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit, db, timefmt
from ..accounts.models import Role, User
from ..auth import roles_required
from ..checkin import people
from ..errors import DomainError
from ..extensions import this_app
from ..forms import apply_domain_error
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..venues.models import Venue
from ..web import csv_download
from . import exports, services
from . import jobs as tracing_jobs
from .forms import CaseForm, VenueForm

bp = Blueprint("tracing", __name__, url_prefix="/tracing")

DEFAULT_DAYS = 14


@bp.app_template_filter("phone_national")
def _phone_national(e164: str) -> str:
    return people.national(e164)


def _no_store(resp: Response) -> Response:
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _forms() -> tuple[CaseForm, VenueForm]:
    """Both forms; the one not submitted gets its defaults (the last days/hours)."""
    case, venue = CaseForm(prefix="case"), VenueForm(prefix="venue")
    today = timefmt.today_local()
    if request.path != url_for("tracing.case"):
        case.start.data = today - timedelta(days=DEFAULT_DAYS)
        case.end.data = today
    if request.path != url_for("tracing.venue"):
        now = datetime.now(timefmt.zone()).replace(second=0, microsecond=0, tzinfo=None)
        venue.start.data = now - timedelta(hours=4)
        venue.end.data = now
    return case, venue


def _page(case: CaseForm, venue: VenueForm, status: int = 200, **ctx: Any) -> Any:
    html = render_template("tracing/index.html", case=case, venue=venue, **ctx)
    return _no_store(Response(html, status=status))


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, timefmt.zone()).astimezone(UTC)


def _local(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timefmt.zone()).astimezone(UTC)


def _audit(action: str, target: str, reason: str, **detail: Any) -> None:
    audit.record(
        db.session(),
        user_id=current_user.id,
        action=action,
        target=target,
        reason=reason,
        ip=request.remote_addr or "",
        **detail,
    )


@bp.get("/")
@roles_required(Role.HEALTH)
def index() -> Any:
    return _page(*_forms())


@bp.post("/case")
@roles_required(Role.HEALTH)
def case() -> Any:
    case_form, venue_form = _forms()
    if not case_form.validate_on_submit():
        return _page(case_form, venue_form, 422)
    try:
        phone = people.clean_phone(case_form.phone.data or "")
        start = _day_start(case_form.start.data)
        end = _day_start(case_form.end.data + timedelta(days=1))
        margin = case_form.margin.data or 0
        digest = people.phone_hash(current_app.config["SECRET_KEY"], phone)
        s = db.session()
        export = request.form.get("export") == "csv"
        threshold = int(current_app.config["EXPORT_JOB_ROWS"])
        if (
            export
            and services.count_contact_rows(
                s, digest, start, end, margin_minutes=margin, limit=threshold + 1
            )
            > threshold
        ):
            return _case_export_job(
                case_form,
                phone,
                digest,
                start,
                end,
                margin,
                case_form.reason.data or "",
            )
        result = services.case_exposures(s, digest, start, end, margin_minutes=margin)
    except DomainError as e:
        field = {"end": "end", "margin": "margin", "phone": "phone"}.get(e.field or "")
        apply_domain_error(case_form, field, e.translated())
        return _page(case_form, venue_form, 422)
    people_list = result.people
    _audit(
        "tracing.case_export" if export else "tracing.case",
        f"phone:{people.mask(phone)}",
        case_form.reason.data or "",
        phone_hash=digest[:16],
        start=case_form.start.data.isoformat(),
        end=case_form.end.data.isoformat(),
        margin=margin,
        visits=len(result.exposures),
        contacts=len(people_list),
    )
    if export:
        return csv_download(
            [exports.CONTACTS_HEADER, *exports.contact_rows(people_list)],
            exports.CONTACTS_FILE,
        )
    venues = _venues(s, {e.visit.venue_id for e in result.exposures})
    return _page(
        case_form,
        venue_form,
        result=result,
        people_list=people_list,
        venues=venues,
        case_phone=people.national(phone),
    )


def _case_export_job(
    form: CaseForm,
    phone: str,
    digest: str,
    start: datetime,
    end: datetime,
    margin: int,
    reason: str,
) -> Any:
    """A case with many contacts: the CSV is written by a job; the request audits
    (what was asked, not yet how many were found) and answers with the job's page."""
    _audit(
        "tracing.case_export",
        f"phone:{people.mask(phone)}",
        reason,
        phone_hash=digest[:16],
        start=form.start.data.isoformat(),
        end=form.end.data.isoformat(),
        margin=margin,
        job=True,
    )
    params = {
        "phone_hash": digest,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "margin": margin,
    }
    job = queue.submit(
        this_app(),
        db.session(),
        JobRequest(
            kind=tracing_jobs.CASE_EXPORT,
            owner_id=current_user.id,
            params=params,
            title=_("Người tiếp xúc với ca bệnh %(phone)s", phone=people.mask(phone)),
            dedupe_key=dedupe_key(
                tracing_jobs.CASE_EXPORT, current_user.id, sorted(params.items())
            ),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


def _venue_export_job(place: Venue, start: datetime, end: datetime, reason: str) -> Any:
    """A large presence list is written by a job; the request audits and answers
    with the job's page at once."""
    _audit(
        "tracing.venue_export",
        f"venue:{place.id}",
        reason,
        token=place.token,
        start=start.isoformat(),
        end=end.isoformat(),
        job=True,
    )
    params = {"venue_id": place.id, "start": start.isoformat(), "end": end.isoformat()}
    job = queue.submit(
        this_app(),
        db.session(),
        JobRequest(
            kind=tracing_jobs.VENUE_EXPORT,
            owner_id=current_user.id,
            params=params,
            title=_("Danh sách có mặt tại %(venue)s", venue=place.name),
            dedupe_key=dedupe_key(
                tracing_jobs.VENUE_EXPORT, current_user.id, sorted(params.items())
            ),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.post("/venue")
@roles_required(Role.HEALTH)
def venue() -> Any:
    case_form, venue_form = _forms()
    if not venue_form.validate_on_submit():
        return _page(case_form, venue_form, 422, tab="venue")
    s = db.session()
    place = services.venue_by_token(s, venue_form.token.data or "")
    if place is None:
        venue_form.token.errors = [_("Không tìm thấy địa điểm với mã này.")]
        return _page(case_form, venue_form, 422, tab="venue")
    start, end = _local(venue_form.start.data), _local(venue_form.end.data)
    try:
        services.check_window(start, end)
    except DomainError as e:
        venue_form.end.errors = [e.translated()]
        return _page(case_form, venue_form, 422, tab="venue")
    export = request.form.get("export") == "csv"
    threshold = int(current_app.config["EXPORT_JOB_ROWS"])
    if export and services.count_present(s, place.id, start, end, threshold + 1) > (
        threshold
    ):
        return _venue_export_job(place, start, end, venue_form.reason.data or "")
    rows = services.present(s, place.id, start, end)
    _audit(
        "tracing.venue_export" if export else "tracing.venue",
        f"venue:{place.id}",
        venue_form.reason.data or "",
        token=place.token,
        start=start.isoformat(),
        end=end.isoformat(),
        contacts=len(rows),
    )
    if export:
        return csv_download(
            [exports.PRESENCE_HEADER, *exports.presence_rows(rows)],
            exports.PRESENCE_FILE,
        )
    return _page(
        case_form,
        venue_form,
        tab="venue",
        place=place,
        present=rows,
    )


def _venues(s: Any, ids: set[int]) -> dict[int, Venue]:
    if not ids:
        return {}
    return {v.id: v for v in s.scalars(select(Venue).where(Venue.id.in_(ids)))}


@bp.get("/history")
@roles_required(Role.HEALTH, Role.ADMIN)
def history() -> Any:
    """A health officer sees their own queries; the province admin sees everyone's."""
    stmt = (
        select(audit.AuditEvent, User.email)
        .outerjoin(User, User.id == audit.AuditEvent.user_id)
        .where(audit.AuditEvent.action.like("tracing.%"))
        .order_by(audit.AuditEvent.at.desc())
        .limit(500)
    )
    if current_user.role is Role.HEALTH:
        stmt = stmt.where(audit.AuditEvent.user_id == current_user.id)
    rows = db.session().execute(stmt).all()
    return _no_store(Response(render_template("tracing/history.html", rows=rows)))
