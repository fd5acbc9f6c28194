"""Public scan pages: `/C/<TOKEN>` from a board's QR, `/C` to type the token, the
check-in POST, its confirmation, check-out and feedback.

Write-only by design: a public page shows the venue (so a fake sticker is noticed) and,
on the confirmation URL (a random 96-bit reference), the visitor's own check-in; it
never lists or looks up anyone else's data.
"""

from __future__ import annotations

import re
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
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import db, timefmt
from ..errors import Gone, Invalid, NotFound
from ..extensions import limiter
from ..venues import services as venues
from ..venues import tokens
from ..venues.models import Venue
from . import people, services, verify
from .forms import CATEGORY_LABELS, CheckInForm, FeedbackForm
from .models import CheckIn

bp = Blueprint("checkin", __name__)

REMEMBER_COOKIE = "ci_me"
_REMEMBER_SALT = "signage.checkin.remember"
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# Rate limits ----------------------------------------------------------------------


def _venue_key() -> str:
    raw = (request.view_args or {}).get("token", "")
    return "checkin-venue:" + (tokens.normalise(raw) or "invalid")


def _limits(view: Any) -> Any:
    """Per client IP (generous: carrier NAT) and per venue, on POST only."""
    view = limiter.limit(
        lambda: current_app.config["CHECKIN_LIMIT_PER_VENUE"],
        key_func=_venue_key,
        methods=["POST"],
    )(view)
    return limiter.limit(
        lambda: current_app.config["CHECKIN_LIMIT_PER_IP"], methods=["POST"]
    )(view)


@bp.errorhandler(429)
def _too_many(_e: Exception) -> Any:
    return render_template("checkin/limited.html"), 429


# Looking the venue up -------------------------------------------------------------


class _Closed(Exception):
    def __init__(self, response: Any) -> None:
        self.response = response


@bp.errorhandler(_Closed)
def _closed(e: _Closed) -> Any:
    return e.response


def _venue(token: str) -> Venue:
    """The open venue for a token, or a _Closed carrying the 404/410 page."""
    s = db.session()
    canonical = tokens.normalise(token)
    venue = None
    if canonical is not None:
        venue = s.scalar(
            select(Venue)
            .where(Venue.token == canonical)
            .options(joinedload(Venue.organisation))
        )
    if venue is None:
        try:
            venues.resolve_token(s, token)  # raises: retired (410) or unknown (404)
        except Gone:
            raise _Closed((render_template("checkin/replaced.html"), 410)) from None
        except NotFound:
            pass
        raise _Closed((render_template("checkin/unknown.html", raw=token[:40]), 404))
    if not venue.active:
        raise _Closed((render_template("checkin/inactive.html", venue=venue), 410))
    return venue


# Remember me ------------------------------------------------------------------------


def _remember_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_REMEMBER_SALT)


def remembered() -> services.Visitor | None:
    raw = request.cookies.get(REMEMBER_COOKIE)
    if not raw:
        return None
    try:
        data = _remember_serializer().loads(raw)
        return services.Visitor(str(data["n"]), str(data["p"])).check()
    except (BadSignature, KeyError, TypeError, Invalid):
        return None


def _set_remember(resp: Response, visitor: services.Visitor) -> None:
    resp.set_cookie(
        REMEMBER_COOKIE,
        _remember_serializer().dumps({"n": visitor.name, "p": visitor.phone}),
        max_age=current_app.config["CHECKIN_REMEMBER_DAYS"] * 86400,
        path="/C",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )


# Pages ------------------------------------------------------------------------------


def _scan_page(
    venue: Venue, form: CheckInForm, saved: services.Visitor | None, status: int = 200
) -> Any:
    if not form.submission_id.data or not _SUBMISSION.match(form.submission_id.data):
        form.submission_id.data = services.new_submission_id()
    return render_template(
        "checkin/scan.html",
        venue=venue,
        form=form,
        saved=saved,
        saved_phone=people.mask(saved.phone) if saved else "",
        retention_days=current_app.config["RETENTION_DAYS"],
    ), status


@bp.get("/C")
def enter_token() -> Any:
    raw = request.args.get("t", "")
    if raw:
        token = tokens.normalise(raw)
        if token:
            return redirect(url_for("checkin.scan", token=token))
        return render_template("checkin/enter.html", raw=raw, invalid=True), 422
    return render_template("checkin/enter.html", raw="", invalid=False)


@bp.get("/C/<token>")
def scan(token: str) -> Any:
    venue = _venue(token)
    if token != venue.token:  # lower case, hyphens: one canonical URL
        return redirect(url_for("checkin.scan", token=venue.token), 301)
    return _scan_page(venue, CheckInForm(formdata=None), remembered())


@bp.errorhandler(CSRFError)
def _stale_form(_e: CSRFError) -> Any:
    """An expired or missing CSRF token: show the form again, keeping what was typed."""
    token = (request.view_args or {}).get("token", "")
    if request.endpoint != "checkin.checkin":
        return render_template("checkin/unknown.html", raw=token[:40]), 400
    venue = _venue(token)
    form = CheckInForm(meta={"csrf": False})
    form.form_errors.append(_("Trang đã mở quá lâu. Hãy bấm Khai báo lần nữa."))
    return _scan_page(venue, form, remembered(), 400)


@bp.post("/C/<token>")
@_limits
def checkin(token: str) -> Any:
    form = CheckInForm()
    venue = _venue(token)
    saved = remembered() if form.use_saved.data else None
    if not form.validate():  # CSRF already checked globally; lengths here
        form.form_errors.append(_("Dữ liệu gửi lên không hợp lệ."))
        return _scan_page(venue, form, None, 422)
    if saved is None:
        try:
            visitor = services.Visitor(form.name.data or "", form.phone.data or "")
            visitor = _checked(form, visitor)
        except Invalid:
            return _scan_page(venue, form, None, 422)
    else:
        visitor = saved
    submission = form.submission_id.data or ""
    if not _SUBMISSION.match(submission):
        submission = services.new_submission_id()
    s = db.session()
    try:
        row, _created = services.check_in(
            s,
            venue,
            visitor,
            submission_id=submission,
            secret=current_app.config["SECRET_KEY"],
        )
        s.commit()
    except IntegrityError:  # the same submission raced in on another connection
        s.rollback()
        row = services.find_by_submission(s, submission)
        if row is None:
            raise
    resp = redirect(
        url_for("checkin.confirmed", token=venue.token, ref=row.public_ref), 303
    )
    if saved is None and form.remember.data:
        _set_remember(resp, visitor)
    return resp


def _checked(form: CheckInForm, visitor: services.Visitor) -> services.Visitor:
    """Normalise name and phone, putting every message under its field."""
    errors = False
    name = phone = ""
    try:
        name = people.clean_name(visitor.name)
    except Invalid as e:
        form.name.errors = [_(e.message)]
        errors = True
    try:
        phone = people.clean_phone(visitor.phone)
    except Invalid as e:
        form.phone.errors = [_(e.message)]
        errors = True
    if not form.consent.data:
        form.consent.errors = [
            _("Hãy đánh dấu đồng ý để khai báo (thông tin chỉ dùng cho phòng dịch).")
        ]
        errors = True
    if errors:
        raise Invalid("form")
    return services.Visitor(name, phone)


@bp.post("/C/<token>/forget")
@_limits
def forget(token: str) -> Any:
    """'Not you?': drop the remembered details from this phone."""
    venue = _venue(token)
    resp = redirect(url_for("checkin.scan", token=venue.token), 303)
    resp.delete_cookie(REMEMBER_COOKIE, path="/C")
    return resp


def _confirmation(
    venue: Venue, row: CheckIn, fb_form: FeedbackForm, status: int = 200
) -> Any:
    tz = timefmt.zone()
    now = db.utcnow()
    local_in = row.checked_in_at.astimezone(tz)
    return render_template(
        "checkin/confirmed.html",
        venue=venue,
        row=row,
        code=verify.daily_code(
            current_app.config["SECRET_KEY"], venue.id, now.astimezone(tz).date()
        ),
        local_in=local_in,
        local_now=now.astimezone(tz),
        left_at=row.left_at.astimezone(tz),
        is_out=row.checked_out_at is not None or now >= row.auto_out_at,
        now_ms=int(now.timestamp() * 1000),
        offset_ms=int(now.astimezone(tz).utcoffset().total_seconds() * 1000),  # type: ignore[union-attr]
        fb_form=fb_form,
        categories=CATEGORY_LABELS,
        fb_sent=request.args.get("fb") == "1",
    ), status


@bp.get("/C/<token>/ok/<ref>")
def confirmed(token: str, ref: str) -> Any:
    venue = _venue(token)
    try:
        row = services.get_by_ref(db.session(), venue, ref)
    except NotFound:
        return render_template("checkin/unknown.html", raw=token[:40]), 404
    return _confirmation(venue, row, FeedbackForm(formdata=None))


@bp.post("/C/<token>/ok/<ref>/out")
@_limits
def check_out(token: str, ref: str) -> Any:
    venue = _venue(token)
    s = db.session()
    try:
        row = services.get_by_ref(s, venue, ref)
    except NotFound:
        return render_template("checkin/unknown.html", raw=token[:40]), 404
    services.check_out(s, row)
    s.commit()
    return redirect(url_for("checkin.confirmed", token=venue.token, ref=ref), 303)


@bp.post("/C/<token>/ok/<ref>/feedback")
@_limits
def feedback(token: str, ref: str) -> Any:
    venue = _venue(token)
    s = db.session()
    try:
        row = services.get_by_ref(s, venue, ref)
    except NotFound:
        return render_template("checkin/unknown.html", raw=token[:40]), 404
    form = FeedbackForm()
    if form.validate():
        try:
            services.add_feedback(
                s, row, form.category.data or "", form.message.data or ""
            )
        except Invalid as e:
            field = getattr(form, e.field or "message")
            field.errors = [_(e.message)]
        else:
            s.commit()
            return redirect(
                url_for("checkin.confirmed", token=venue.token, ref=ref, fb=1) + "#fb",
                303,
            )
    else:
        form.message.errors = [*form.message.errors] or [_("Dữ liệu không hợp lệ.")]
    return _confirmation(venue, row, form, 422)
