"""Org portal: check-in logs per venue and per organisation, reveal, exports.

Every look at personal data leaves an audit row (who, when, what, and for a reveal
why): viewing a log page, revealing one phone number, each export.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from .. import audit, db, timefmt
from ..accounts.models import Organisation, Role
from ..auth import org_or_404, roles_required
from ..errors import NotFound
from ..extensions import this_app
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..venues import services as venues
from ..venues.models import Venue
from . import exports, logs, people, verify
from . import jobs as export_jobs
from .forms import CATEGORY_LABELS, ExportForm, RevealForm
from .models import CheckIn

bp = Blueprint("checkin_portal", __name__)
PORTAL = (Role.ADMIN, Role.MANAGER)


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "")[:10])
    except ValueError:
        return None


def _filter(org: Organisation, venue: Venue | None) -> logs.LogFilter:
    venue_id = venue.id if venue else None
    if venue is None and request.args.get("venue", "").isdigit():
        wanted = int(request.args["venue"])
        own = db.session().get(Venue, wanted)
        venue_id = wanted if own and own.organisation_id == org.id else None
    return logs.LogFilter(
        org_id=org.id,
        venue_id=venue_id,
        date_from=_date_arg("from"),
        date_to=_date_arg("to"),
        search=request.args.get("q", "")[:100],
    )


def _audit(
    action: str, target: str, f: logs.LogFilter, reason: str = "", **detail: Any
) -> None:
    audit.record(
        db.session(),
        user_id=current_user.id,
        action=action,
        target=target,
        reason=reason,
        ip=request.remote_addr or "",
        venue_id=f.venue_id,
        date_from=f.date_from,
        date_to=f.date_to,
        # A searched name or number is personal: its keyed digest, never the text.
        search=audit.search_digest(current_app.config["SECRET_KEY"], f.search),
        **detail,
    )


def _venue_or_404(org: Organisation, venue_id: int) -> Venue:
    try:
        return venues.get_venue(db.session(), venue_id, org.id)
    except NotFound:
        abort(404)


def today_code(venue: Venue) -> verify.DailyCode:
    return verify.daily_code(
        current_app.config["SECRET_KEY"], venue.id, timefmt.today_local()
    )


def _log_page(org: Organisation, venue: Venue | None) -> Any:
    s = db.session()
    tz = timefmt.zone()
    f = _filter(org, venue)
    try:
        number = int(request.args.get("page", "1"))
    except ValueError:
        number = 1
    result = logs.page(s, f, tz, number)
    hourly = logs.hourly_today(s, org.id, f.venue_id, timefmt.today_local(), tz)
    _audit(
        "checkins.view",
        f"venue:{venue.id}" if venue else f"organisation:{org.id}",
        f,
        page=result.page,
        rows=len(result.rows),
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "checkin/log.html",
        org=org,
        venue=venue,
        f=f,
        result=result,
        hourly=hourly,
        feedback=logs.feedback(s, org.id, f.venue_id, limit=50),
        categories=CATEGORY_LABELS,
        venues=venues.list_venues(s, org.id) if venue is None else [],
        code=today_code(venue) if venue else None,
        mask=people.mask,
        tz=tz,
        args=args,
        reveal_form=RevealForm(formdata=None),
    )


@bp.get("/orgs/<int:org_id>/checkins")
@roles_required(*PORTAL)
@db.writes
def org_log(org_id: int) -> Any:
    return _log_page(org_or_404(org_id), None)


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>/checkins")
@roles_required(*PORTAL)
@db.writes
def venue_log(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    return _log_page(org, _venue_or_404(org, venue_id))


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/checkins/reveal")
@roles_required(*PORTAL)
def reveal(org_id: int, venue_id: int) -> Any:
    """Show one visitor's full phone number, after recording who asked and why."""
    org = org_or_404(org_id)
    venue = _venue_or_404(org, venue_id)
    form = RevealForm()
    if not form.validate_on_submit() or not str(form.checkin_id.data).isdigit():
        return render_template(
            "checkin/reveal.html", org=org, venue=venue, form=form, row=None
        ), 422
    s = db.session()
    row = logs.get_checkin(s, org.id, venue.id, int(form.checkin_id.data))
    if row is None:
        abort(404)
    audit.record(
        s,
        user_id=current_user.id,
        action="checkins.reveal",
        target=f"checkin:{row.id}",
        reason=form.reason.data or "",
        ip=request.remote_addr or "",
        venue_id=venue.id,
    )
    return render_template(
        "checkin/reveal.html",
        org=org,
        venue=venue,
        form=form,
        row=row,
        phone=people.national(row.phone),
        tz=timefmt.zone(),
    )


# Exports --------------------------------------------------------------------------


def _export(org: Organisation, venue: Venue | None, fmt: str) -> Any:
    """GET: ask why (an export of personal data needs a reason, like a reveal).
    POST with the reason: audit it, then either queue a job (more than
    EXPORT_JOB_ROWS rows: redirect to the job's page) or stream from a separate
    read-only session: the boundary commits the audit row (releasing the write
    lock) before the first row goes out."""
    f = _filter(org, venue)
    form = ExportForm(formdata=request.form if request.method == "POST" else None)
    if request.method != "POST" or not form.validate():
        page = render_template(
            "checkin/export_reason.html",
            org=org,
            venue=venue,
            f=f,
            fmt=fmt,
            form=form,
            action=request.full_path,
        )
        return page, (422 if request.method == "POST" else 200)
    tz = timefmt.zone()
    _audit(
        f"checkins.export.{fmt}",
        f"venue:{venue.id}" if venue else f"organisation:{org.id}",
        f,
        reason=form.reason.data or "",
    )
    s = db.session()
    app = this_app()
    stamp = timefmt.today_local().isoformat()
    name = f"khai-bao-{'dd' + str(venue.id) if venue else 'tc' + str(org.id)}-{stamp}"
    threshold = int(app.config["EXPORT_JOB_ROWS"])
    if logs.count_upto(s, f, tz, threshold + 1) > threshold:
        params = {
            **export_jobs.filter_params(f),
            "fmt": fmt,
            "filename": f"{name}.{fmt}",
        }
        private = export_jobs.private_params(f)
        job = queue.submit(
            app,
            s,
            JobRequest(
                kind=export_jobs.EXPORT,
                owner_id=current_user.id,
                params=params,
                private=private,
                title=_(
                    "Xuất nhật ký khai báo (%(fmt)s) – %(where)s",
                    fmt=fmt.upper(),
                    where=venue.name if venue else org.name,
                ),
                dedupe_key=dedupe_key(
                    export_jobs.EXPORT,
                    current_user.id,
                    sorted(params.items()),
                    sorted(private.items()),
                ),
            ),
        )
        return redirect(url_for("jobs.show", job_id=job.id))

    def rows() -> Iterator[exports.ExportRow]:
        reader = db.get_db(app).read()
        try:
            yield from logs.iter_export(reader, f, tz)
        finally:
            reader.close()

    if fmt == "csv":
        # Flask appends "; charset=utf-8" to text/* itself.
        body, mimetype = exports.csv_chunks(rows(), tz), "text/csv"
    else:
        body = exports.xlsx_chunks(rows(), tz)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename={name}.{fmt}",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/orgs/<int:org_id>/checkins.csv", methods=["GET", "POST"])
@roles_required(*PORTAL)
def org_export_csv(org_id: int) -> Any:
    return _export(org_or_404(org_id), None, "csv")


@bp.route("/orgs/<int:org_id>/checkins.xlsx", methods=["GET", "POST"])
@roles_required(*PORTAL)
def org_export_xlsx(org_id: int) -> Any:
    return _export(org_or_404(org_id), None, "xlsx")


@bp.route(
    "/orgs/<int:org_id>/venues/<int:venue_id>/checkins.csv", methods=["GET", "POST"]
)
@roles_required(*PORTAL)
def venue_export_csv(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    return _export(org, _venue_or_404(org, venue_id), "csv")


@bp.route(
    "/orgs/<int:org_id>/venues/<int:venue_id>/checkins.xlsx", methods=["GET", "POST"]
)
@roles_required(*PORTAL)
def venue_export_xlsx(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    return _export(org, _venue_or_404(org, venue_id), "xlsx")


# The panel on the venue page (venues/venue.html includes checkin/_venue_panel.html).


@bp.app_template_global()
def checkin_panel(venue: Venue) -> dict[str, Any]:
    start, end = logs.local_day_bounds(timefmt.today_local(), timefmt.zone())
    count = db.session().scalar(
        select(func.count(CheckIn.id)).where(
            CheckIn.venue_id == venue.id,
            CheckIn.checked_in_at >= start,
            CheckIn.checked_in_at < end,
        )
    )
    return {"today": int(count or 0), "code": today_code(venue)}
