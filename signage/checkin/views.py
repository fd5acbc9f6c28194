"""Public scan pages: `/C/<TOKEN>` from a board's QR, `/C` to type the token, the
check-in POST, its confirmation, check-out and feedback.

Write-only by design: a public page shows the venue (so a fake sticker is noticed) and,
on the confirmation URL (a random 96-bit reference), the visitor's own check-in; it
never lists or looks up anyone else's data.
"""

from __future__ import annotations

import re
from contextlib import suppress
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError

from .. import caches, db, ratelimit, timefmt
from ..errors import Gone, Invalid, NotFound, database_unavailable
from ..extensions import csrf, select_locale, this_app, this_request
from ..venues import services as venues
from ..venues import tokens
from ..web import RETRY_AFTER_SECONDS, error_page, lean
from . import erasure, forms, formtoken, gate, people, remember, services, verify
from .forms import CATEGORY_LABELS, MAX_COMPANIONS, Companion, FeedbackForm, Typed
from .models import CheckIn

bp = Blueprint("checkin", __name__)

_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


# Rate limits ----------------------------------------------------------------------


def _limits(view: Any) -> Any:
    """Per client IP (generous: carrier NAT) and per venue, on these POSTs only.

    Counted by the app's rate-limit service (signage/ratelimit), shared by every
    worker; it lets check-ins through when its storage fails. The views are lean
    (web.lean): Flask-Limiter's own per-request machinery skips them.
    """

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> Any:
        venue = tokens.normalise(kwargs.get("token", "")) or "invalid"
        if not ratelimit.allowed(
            "checkin-ip", this_request().remote_addr or "-"
        ) or not ratelimit.allowed("checkin-venue", venue):
            return _too_many(None)
        return view(*args, **kwargs)

    return lean(limited)


@bp.errorhandler(429)
def _too_many(_e: Exception | None) -> Any:
    return render_template("checkin/limited.html"), 429


# Looking the venue up -------------------------------------------------------------


class _Closed(Exception):
    def __init__(self, response: Any) -> None:
        self.response = response


@bp.errorhandler(_Closed)
def _closed(e: _Closed) -> Any:
    return e.response


def _venue(token: str, *, bare: bool = False) -> services.PublicVenue:
    """The open venue for a token, or a _Closed carrying the 404/410 page. ``bare``:
    read without a Session (gate.public_venue), for the pages that need none."""
    canonical = tokens.normalise(token)
    venue = None
    if canonical and bare:
        venue = gate.public_venue(canonical)
    elif canonical:
        venue = services.public_venue(db.session(), canonical)
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
    return venue


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
    return int(this_app().config["SQLITE_BUSY_TIMEOUT_MS"])


# The check-in form (forms.Typed) -----------------------------------------------------
# Its POST is exempt from the app-wide CSRFProtect (which would need a session): it is
# protected by formtoken (a signed double-submit token and Fetch Metadata) instead.


def _scan_page(
    venue: services.PublicVenue,
    typed: Typed,
    saved: services.Visitor | None,
    status: int = 200,
) -> Any:
    if not _SUBMISSION.match(typed.submission_id):
        typed.submission_id = services.new_submission_id()
    if saved is None and not typed.errors and not typed.form_errors and not typed.name:
        return _blank_page(venue, typed.submission_id), status
    return _render_scan(venue, typed, saved, formtoken.issue()), status


def _blank_page(venue: services.PublicVenue, submission_id: str) -> str:
    """The scan page with nothing typed, from caches.scan_page."""
    page = caches.scan_page(
        # The language as the locale selector gives it: Flask-Babel's get_locale()
        # would parse a Locale on every request for the key.
        (venue, select_locale(), this_app().config["RETENTION_DAYS"]),
        lambda: _render_scan(venue, Typed(submission_id=_SUBMISSION_SLOT), None),
    )
    page = page.replace(_CSRF_SLOT, formtoken.issue(), 1)
    return page.replace(_SUBMISSION_SLOT, submission_id, 1)


# The blank scan page is the same for every visitor of a venue except for two hidden
# values: it is rendered with slots, kept in caches.scan_page, and filled per request.
_CSRF_SLOT = "\x00csrf\x00"
_SUBMISSION_SLOT = "\x00submission\x00"


def _render_scan(
    venue: services.PublicVenue,
    typed: Typed,
    saved: services.Visitor | None,
    csrf_token: str = _CSRF_SLOT,
) -> str:
    return render_template(
        "checkin/scan.html",
        venue=venue,
        form=typed,
        saved=saved,
        saved_phone=people.mask(saved.phone) if saved else "",
        retention_days=current_app.config["RETENTION_DAYS"],
        csrf=csrf_token,
        max_companions=MAX_COMPANIONS,
        # The language links come back to the canonical page, whatever query
        # string this request had: the page depends on nothing else of the URL.
        here=url_for("checkin.scan", token=venue.token),
    )


@bp.get("/C")
@lean
def enter_token() -> Any:
    raw = request.args.get("t", "")
    if raw:
        token = tokens.normalise(raw)
        if token:
            return redirect(url_for("checkin.scan", token=token))
        return render_template("checkin/enter.html", raw=raw, invalid=True), 422
    return render_template("checkin/enter.html", raw="", invalid=False)


@bp.get("/c")
@bp.get("/c/")
@bp.get("/C/")
@lean
def enter_token_alias() -> Any:
    """People type the printed address in lower case or with a trailing slash."""
    query = request.query_string.decode("latin-1")
    return redirect(
        url_for("checkin.enter_token") + (f"?{query}" if query else ""), 301
    )


@bp.get("/c/<token>")
@bp.get("/c/<token>/")
@bp.get("/C/<token>/")
@lean
def scan_alias(token: str) -> Any:
    """Lower case and trailing slashes land on the one canonical page (an unknown
    token gets its 404 there)."""
    canonical = tokens.normalise(token) or token
    return redirect(url_for("checkin.scan", token=canonical), 301)


@bp.get("/C/<token>")
@lean  # read-only and cheap: floods are the reverse proxy's job
def scan(token: str) -> Any:
    # One statement on the bare connection: no Session, no transaction to begin.
    venue = _venue(token, bare=True)
    if token != venue.token:  # lower case, hyphens: one canonical URL
        return redirect(url_for("checkin.scan", token=venue.token), 301)
    saved = remember.visitor()
    if saved is None:  # nothing to fill in: no form to build
        return _blank_page(venue, services.new_submission_id())
    return _scan_page(venue, Typed(), saved)


@bp.errorhandler(CSRFError)
def _stale_form(_e: CSRFError) -> Any:
    """An expired or missing CSRF token: show the form again, keeping what was typed."""
    args = request.view_args or {}
    token = args.get("token", "")
    if request.endpoint in ("checkin.check_out", "checkin.feedback", "checkin.delete"):
        # Back to the confirmation, where the buttons carry a fresh token.
        return redirect(url_for("checkin.confirmed", token=token, ref=args["ref"]), 303)
    if request.endpoint != "checkin.checkin":
        return redirect(url_for("checkin.scan", token=token), 303)
    typed = Typed.from_request()
    try:  # an error handler's own exceptions are not handled again: catch here
        venue = _venue(token)
    except _Closed as closed:
        return closed.response
    except DBAPIError as e:
        if not database_unavailable(e):
            raise
        return _busy(token, None, typed, None)
    typed.form_errors.append(_("Trang đã mở quá lâu. Hãy bấm Khai báo lần nữa."))
    return _scan_page(venue, typed, remember.visitor(), 400)


@bp.post("/C/<token>")
@csrf.exempt  # formtoken: the scan form's own, session-free protection
@_limits
def checkin(token: str) -> Any:
    form = this_request().form
    formtoken.check(form.get("csrf_token", ""))
    typed = Typed.from_request()
    saved = remember.visitor() if form.get("use_saved") else None
    if form.get("add_companion"):
        return _more_companions(token, typed, saved)
    venue = None
    try:
        # One statement on the bare connection (gate.public_venue), as for the page.
        venue = _venue(token, bare=True)
        return _record(venue, typed, saved)
    except DBAPIError as e:
        if not database_unavailable(e):
            raise
        return _busy(token, venue, typed, saved)


def _more_companions(token: str, typed: Typed, saved: services.Visitor | None) -> Any:
    """The "Thêm người đi cùng" button: the form again, as typed, with one more
    companion row (the button is a submit button: it needs no JavaScript)."""
    venue = _venue(token)
    if len(typed.companions) < MAX_COMPANIONS:
        typed.companions.append(Companion())
    return _scan_page(venue, typed, saved)


def _record(
    venue: services.PublicVenue, typed: Typed, saved: services.Visitor | None
) -> Any:
    visitor = saved or forms.checked(typed)
    companions = forms.checked_companions(typed, visitor)
    submission = typed.submission_id
    if not _SUBMISSION.match(submission):
        submission = services.new_submission_id()
    secret = this_app().config["SECRET_KEY"]
    # No Session (and so no BEGIN IMMEDIATE) on this path: the venue was read and each
    # check-in is written by single statements on an autocommit connection. The same
    # form sent twice at once at one venue (PostgreSQL) loses on the unique key, and
    # the transaction boundary runs this view again: it then finds the first one.
    if visitor is None or companions is None:
        return _scan_page(venue, typed, saved, 422)
    people_here = [(visitor, submission)] + [
        # Each companion's row has its own submission id, derived from the form's
        # (a "~" never occurs in a form's id), so the form sent again finds them.
        (who, f"{submission[:60]}~{i:02d}")
        for i, who in enumerate(companions, 1)
    ]
    with gate.autocommit() as conn:

        def record(who: services.Visitor, sub: str) -> str:
            return gate.retry_busy(
                lambda: (
                    services.check_in(
                        conn, venue, who, submission_id=sub, secret=secret
                    ).public_ref
                ),
                timeout_ms=_busy_ms(),
            )

        refs: list[str] = []
        for who, sub in people_here:
            try:
                refs.append(record(who, sub))
            except services.VenueChanged:  # edited between the read and the write
                venue = _venue(venue.token, bare=True)  # afresh: closed pages raise
                refs.append(record(who, sub))
    resp = redirect(url_for("checkin.confirmed", token=venue.token, ref=refs[0]), 303)
    remember.add_own(resp, list(dict.fromkeys(refs)))
    if saved is None and typed.remember:
        remember.set_cookie(resp, visitor)
    return resp


def _busy(
    token: str,
    venue: services.PublicVenue | None,
    typed: Typed,
    saved: services.Visitor | None,
) -> Any:
    """The database is busy past its timeout or restarting: 503, Retry-After, and
    the form again exactly as typed (same submission id: sending it again cannot
    record anyone twice, even if this attempt was stored after all), on the venue's
    page if it could still be read (``venue``)."""
    typed.form_errors.append(
        _(
            "Hệ thống đang bận, vui lòng thử lại sau ít giây. Thông tin bạn nhập "
            "vẫn còn dưới đây: chỉ cần bấm Khai báo lần nữa."
        )
    )
    if venue is None:  # the database could not even give the venue
        page = render_template(
            "checkin/busy.html",
            form=typed,
            saved=saved,
            saved_phone=people.mask(saved.phone) if saved else "",
            venue={"token": tokens.normalise(token) or token[:40]},
            csrf=formtoken.issue(),
            max_companions=MAX_COMPANIONS,
            retention_days=current_app.config["RETENTION_DAYS"],
        )
        return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    page, status = _scan_page(venue, typed, saved, 503)
    return page, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}


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
    local_now = now.astimezone(tz)
    offset = local_now.utcoffset() or timedelta(0)  # an aware time always has one
    # Minimal disclosure: the full name and the check-out button only in the browser
    # that made this check-in; a forwarded or overheard link shows initials.
    group = remember.group_of(row.public_ref)
    together: list[CheckIn] = []
    if group is not None:
        s = db.session()
        for ref in group:
            # Purged, or another venue's: not listed.
            if ref != row.public_ref:
                with suppress(NotFound):
                    together.append(services.get_by_ref(s, venue, ref))
    return render_template(
        "checkin/confirmed.html",
        venue=venue,
        row=row,
        own=group is not None,
        shown_name=row.name if group is not None else people.initials(row.name),
        together=together,
        code=verify.daily_code(
            current_app.config["SECRET_KEY"], venue.id, local_now.date()
        ),
        local_in=local_in,
        local_now=local_now,
        left_at=row.left_at.astimezone(tz),
        is_out=row.checked_out_at is not None or now >= row.auto_out_at,
        now_ms=int(now.timestamp() * 1000),
        offset_ms=int(offset.total_seconds() * 1000),
        fb_form=fb_form,
        categories=CATEGORY_LABELS,
        fb_sent=request.args.get("fb") == "1",
    ), status


@bp.get("/C/<token>/ok/<ref>")
@lean
def confirmed(token: str, ref: str) -> Any:
    venue = _venue(token)
    row = _checkin(venue, ref, token, db.session())
    return _confirmation(venue, row, FeedbackForm(formdata=None))


@bp.post("/C/<token>/ok/<ref>/out")
@_limits
def check_out(token: str, ref: str) -> Any:
    venue = _venue(token)
    if remember.group_of(ref) is None:  # only the browser that checked in
        return error_page(
            403, _("Chỉ điện thoại đã khai báo mới bấm rời địa điểm được.")
        )
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
            field.errors = [e.translated()]
        else:
            return redirect(
                url_for("checkin.confirmed", token=venue.token, ref=ref, fb=1) + "#fb",
                303,
            )
    else:
        form.message.errors = [*form.message.errors] or [_("Dữ liệu không hợp lệ.")]
    return _confirmation(venue, row, form, 422)


# Deleting one's own check-in ---------------------------------------------------------


def _own_checkin(token: str, ref: str) -> tuple[services.PublicVenue, CheckIn]:
    """The check-in, if this browser made it ('my check-ins', remember.group_of);
    else the 404 page (a browser that only holds the link learns nothing more than
    a wrong link would tell it)."""
    venue = _venue(token)
    row = _checkin(venue, ref, token, db.session())
    if remember.group_of(row.public_ref) is None:
        raise _Closed((render_template("checkin/unknown.html", raw=token[:40]), 404))
    return venue, row


@bp.get("/C/<token>/ok/<ref>/delete")
@lean
def delete_confirm(token: str, ref: str) -> Any:
    """The confirm step: what will be deleted, one button."""
    venue, row = _own_checkin(token, ref)
    return render_template("checkin/delete.html", venue=venue, row=row)


@bp.post("/C/<token>/ok/<ref>/delete")
@_limits
def delete(token: str, ref: str) -> Any:
    venue, row = _own_checkin(token, ref)
    erasure.delete_own(db.session(), row)
    resp = current_app.make_response(
        render_template("checkin/deleted.html", venue=venue)
    )
    remember.forget_own(resp, ref)
    return resp
