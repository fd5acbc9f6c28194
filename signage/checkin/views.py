"""Public scan pages: `/C/<TOKEN>` from a board's QR, `/C` to type the token, the
check-in POST, its confirmation, check-out and feedback.

Write-only by design: a public page shows the venue (so a fake sticker is noticed) and,
on the confirmation URL (a random 96-bit reference), the visitor's own check-in; it
never lists or looks up anyone else's data.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from limits import parse
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from .. import db, timefmt
from ..errors import Gone, Invalid, NotFound
from ..extensions import csrf, limiter
from ..venues import services as venues
from ..venues import tokens
from . import formtoken, gate, people, ratelimit, remember, services, verify
from .forms import CATEGORY_LABELS, FeedbackForm
from .models import CheckIn

bp = Blueprint("checkin", __name__)
bp.record_once(lambda state: ratelimit.keep_one_sweeper(state.app))

_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# Rate limits ----------------------------------------------------------------------


def _venue_key() -> str:
    raw = (request.view_args or {}).get("token", "")
    return "checkin-venue:" + (tokens.normalise(raw) or "invalid")


@lru_cache(maxsize=16)
def _parsed(text: str) -> Any:
    return parse(text)


def _limits(view: Any) -> Any:
    """Per client IP (generous: carrier NAT) and per venue, on POST only.

    The counters live in the app limiter's storage (memory, or Redis when configured,
    shared by every worker), hit directly with its strategy: this is the hottest write
    path, and going through Flask-Limiter's per-request machinery cost more than the
    counting itself (so the view is exempt from that machinery). Flask-Limiter's
    decorator would add rate-limit headers; nothing here needs them.
    """

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        cfg = current_app.config
        if cfg.get("RATELIMIT_ENABLED", True) and limiter.enabled:
            strategy = limiter.limiter
            ip = request.remote_addr or "-"
            if not strategy.hit(
                _parsed(cfg["CHECKIN_LIMIT_PER_IP"]), "checkin-ip", ip
            ) or not strategy.hit(
                _parsed(cfg["CHECKIN_LIMIT_PER_VENUE"]), _venue_key()
            ):
                return _too_many(None)
        return view(*args, **kwargs)

    return limiter.exempt(limited)


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


def _venue(token: str, conn: Connection | None = None) -> services.PublicVenue:
    """The open venue for a token, or a _Closed carrying the 404/410 page."""
    canonical = tokens.normalise(token)
    venue = None
    if canonical and conn is not None:
        venue = gate.retry_busy(
            lambda: services.public_venue(conn, canonical), timeout_ms=_busy_ms()
        )
    elif canonical:
        venue = services.public_venue(db.session(), canonical)
    if venue is None or not venue.active:
        _recent.pop(canonical or "", None)
    if venue is None:
        try:  # raises: retired (410) or unknown (404)
            venues.resolve_token(db.session(), token)
        except Gone:
            raise _Closed((render_template("checkin/replaced.html"), 410)) from None
        except NotFound:
            pass
        raise _Closed((render_template("checkin/unknown.html", raw=token[:40]), 404))
    if not venue.active:
        raise _Closed((render_template("checkin/inactive.html", venue=venue), 410))
    _remember_venue(venue)
    return venue


# The check-in POST uses the venue read by a recent request of this process (at most
# _RECENT_SECONDS old) instead of reading it again: its INSERT re-checks, inside the
# same statement, that the venue still has that token, is open and has that stay
# length, and a venue that changed is read afresh (services.VenueChanged). Pages keep
# reading the venue on every request, so an edit shows at once.
_RECENT_SECONDS = 30.0
_RECENT_MAX = 4096
_recent: dict[str, tuple[float, services.PublicVenue]] = {}


def _recent_venue(token: str) -> services.PublicVenue | None:
    hit = _recent.get(tokens.normalise(token) or "")
    if hit is None or hit[0] < time.monotonic():
        return None
    return hit[1]


def _remember_venue(venue: services.PublicVenue) -> None:
    if len(_recent) >= _RECENT_MAX:
        _recent.clear()
    _recent[venue.token] = (time.monotonic() + _RECENT_SECONDS, venue)


def _checkin(
    venue: services.PublicVenue, ref: str, token: str, session: Any
) -> CheckIn:
    """The check-in behind a confirmation URL, or a _Closed carrying the 404 page."""
    try:
        return services.get_by_ref(session, venue, ref)
    except NotFound:
        raise _Closed(
            (render_template("checkin/unknown.html", raw=token[:40]), 404)
        ) from None


def _busy_ms() -> int:
    return int(current_app.config["SQLITE_BUSY_TIMEOUT_MS"])


# The check-in form ------------------------------------------------------------------
# A plain dataclass, not WTForms: this form is rendered and posted hundreds of times a
# second at peak, and binding seven WTForms fields cost more than the database work.
# CSRF is still enforced for every POST by the app-wide CSRFProtect.


@dataclass
class Typed:
    """What the visitor typed, sent back with messages when something is wrong."""

    name: str = ""
    phone: str = ""
    consent: bool = False
    remember: bool = False
    submission_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls) -> Typed:
        f = request.form
        return cls(
            # Caps only bound the work spent on hostile input; the rules and their
            # messages are in people.clean_name / clean_phone.
            name=f.get("name", "")[:2000],
            phone=f.get("phone", "")[:200],
            consent=bool(f.get("consent")),
            remember=bool(f.get("remember")),
            submission_id=f.get("submission_id", "")[:64],
        )


def _scan_page(
    venue: services.PublicVenue,
    typed: Typed,
    saved: services.Visitor | None,
    status: int = 200,
) -> Any:
    if not _SUBMISSION.match(typed.submission_id):
        typed.submission_id = services.new_submission_id()
    if saved is None and not typed.errors and not typed.form_errors and not typed.name:
        page = _blank_page(
            venue,
            str(get_locale()),
            request.full_path,
            current_app.config["RETENTION_DAYS"],
        )
        page = page.replace(_CSRF_SLOT, formtoken.issue(), 1)
        return page.replace(_SUBMISSION_SLOT, typed.submission_id, 1), status
    return render_template(
        "checkin/scan.html",
        venue=venue,
        form=typed,
        saved=saved,
        saved_phone=people.mask(saved.phone) if saved else "",
        retention_days=current_app.config["RETENTION_DAYS"],
        csrf=formtoken.issue(),
    ), status


# The blank scan page is the same for every visitor of a venue except for two hidden
# values, and rendering it cost more than everything else in the request together. So
# it is rendered once per (venue's current data, language, URL) with two slots filled
# per request. The key is the venue row itself, read on every request, so an edit,
# rotation or deactivation shows at once; the cache is per process and bounded.
_CSRF_SLOT = "\x00csrf\x00"
_SUBMISSION_SLOT = "\x00submission\x00"


@lru_cache(maxsize=1024)
def _blank_page(
    venue: services.PublicVenue, locale: str, full_path: str, retention_days: int
) -> str:
    return render_template(
        "checkin/scan.html",
        venue=venue,
        form=Typed(submission_id=_SUBMISSION_SLOT),
        saved=None,
        saved_phone="",
        retention_days=retention_days,
        csrf=_CSRF_SLOT,
    )


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
@limiter.exempt  # read-only and cheap: floods are the reverse proxy's job
def scan(token: str) -> Any:
    # One autocommit statement, as for the POST: no transaction to begin and end.
    with gate.autocommit() as conn:
        venue = _venue(token, conn)
    if token != venue.token:  # lower case, hyphens: one canonical URL
        return redirect(url_for("checkin.scan", token=venue.token), 301)
    return _scan_page(venue, Typed(), remember.visitor())


@bp.errorhandler(CSRFError)
def _stale_form(_e: CSRFError) -> Any:
    """An expired or missing CSRF token: show the form again, keeping what was typed."""
    args = request.view_args or {}
    token = args.get("token", "")
    if request.endpoint in ("checkin.check_out", "checkin.feedback"):
        # Back to the confirmation, where the buttons carry a fresh token.
        return redirect(url_for("checkin.confirmed", token=token, ref=args["ref"]), 303)
    if request.endpoint != "checkin.checkin":
        return redirect(url_for("checkin.scan", token=token), 303)
    venue = _venue(token)
    typed = Typed.from_request()
    typed.form_errors.append(_("Trang đã mở quá lâu. Hãy bấm Khai báo lần nữa."))
    return _scan_page(venue, typed, remember.visitor(), 400)


@bp.post("/C/<token>")
@csrf.exempt  # formtoken: the scan form's own, session-free protection
@_limits
def checkin(token: str) -> Any:
    formtoken.check(request.form.get("csrf_token", ""))
    typed = Typed.from_request()
    saved = remember.visitor() if request.form.get("use_saved") else None
    visitor = saved or _checked(typed)
    submission = typed.submission_id
    if not _SUBMISSION.match(submission):
        submission = services.new_submission_id()
    secret = current_app.config["SECRET_KEY"]
    # No Session (and so no BEGIN IMMEDIATE) on this path: the venue is read and the
    # check-in written by single statements on an autocommit connection.
    with gate.autocommit() as conn:
        venue = _recent_venue(token) or _venue(token, conn)
        if visitor is None:
            return _scan_page(venue, typed, None, 422)

        def record(submission_id: str) -> str:
            return gate.retry_busy(
                lambda: (
                    services.check_in(
                        conn, venue, visitor, submission_id=submission_id, secret=secret
                    ).public_ref
                ),
                timeout_ms=_busy_ms(),
            )

        try:
            try:
                ref = record(submission)
            except services.VenueChanged:
                venue = _venue(token, conn)  # afresh: closed pages raise from here
                ref = record(submission)
        except IntegrityError:  # a submission id replayed from another venue's form
            ref = record(services.new_submission_id())
    resp = redirect(url_for("checkin.confirmed", token=venue.token, ref=ref), 303)
    if saved is None and typed.remember:
        remember.set_cookie(resp, visitor)
    return resp


def _checked(typed: Typed) -> services.Visitor | None:
    """Normalise name and phone, putting every message under its field."""
    name = phone = ""
    try:
        name = people.clean_name(typed.name)
    except Invalid as e:
        typed.errors["name"] = _(e.message)
    try:
        phone = people.clean_phone(typed.phone)
    except Invalid as e:
        typed.errors["phone"] = _(e.message)
    if not typed.consent:
        typed.errors["consent"] = _(
            "Hãy đánh dấu đồng ý để khai báo (thông tin chỉ dùng cho phòng dịch)."
        )
    return None if typed.errors else services.Visitor(name, phone)


@bp.post("/C/<token>/forget")
@csrf.exempt  # formtoken, as for the check-in
@_limits
def forget(token: str) -> Any:
    """'Not you?': drop the remembered details from this phone."""
    formtoken.check(request.form.get("csrf_token", ""))
    venue = _venue(token)
    resp = redirect(url_for("checkin.scan", token=venue.token), 303)
    remember.forget(resp)
    return resp


def _confirmation(
    venue: services.PublicVenue, row: CheckIn, fb_form: FeedbackForm, status: int = 200
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
    row = _checkin(venue, ref, token, db.session())
    return _confirmation(venue, row, FeedbackForm(formdata=None))


@bp.post("/C/<token>/ok/<ref>/out")
@_limits
def check_out(token: str, ref: str) -> Any:
    venue = _venue(token)
    s = db.session()
    row = _checkin(venue, ref, token, s)
    services.check_out(s, row)
    return redirect(url_for("checkin.confirmed", token=venue.token, ref=ref), 303)


@bp.post("/C/<token>/ok/<ref>/feedback")
@_limits
def feedback(token: str, ref: str) -> Any:
    venue = _venue(token)
    s = db.session()
    row = _checkin(venue, ref, token, s)
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
            return redirect(
                url_for("checkin.confirmed", token=venue.token, ref=ref, fb=1) + "#fb",
                303,
            )
    else:
        form.message.errors = [*form.message.errors] or [_("Dữ liệu không hợp lệ.")]
    return _confirmation(venue, row, form, 422)
