"""App-wide web glue: template filters, error pages, security headers, and the
request hooks (what every request pays for, kept to what it uses)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from flask import (
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
)
from flask import Request as FlaskRequest
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_cookie
from werkzeug.utils import cached_property

from . import caches, csvout, geo, timefmt
from .errors import N_, DomainError, NotFound, database_unavailable
from .extensions import this_request

F = TypeVar("F", bound=Callable[..., Any])

_MESSAGES: dict[int, tuple[str, str]] = {
    400: (N_("Yêu cầu không hợp lệ"), N_("Dữ liệu gửi lên không đúng. Hãy thử lại.")),
    403: (N_("Không có quyền"), N_("Bạn không có quyền xem trang này.")),
    404: (N_("Không tìm thấy"), N_("Trang hoặc mã bạn tìm không tồn tại.")),
    405: (N_("Không hỗ trợ"), N_("Thao tác này không được hỗ trợ ở đây.")),
    409: (N_("Xung đột dữ liệu"), N_("Dữ liệu đã thay đổi. Hãy tải lại trang.")),
    410: (N_("Đã thay thế"), N_("Nội dung này không còn dùng nữa.")),
    413: (
        N_("Tệp quá lớn"),
        N_("Tệp hoặc dữ liệu gửi lên vượt quá giới hạn cho phép."),
    ),
    422: (N_("Dữ liệu chưa đúng"), N_("Hãy kiểm tra lại thông tin đã nhập.")),
    429: (
        N_("Quá nhiều yêu cầu"),
        N_("Bạn đã thao tác quá nhanh. Vui lòng chờ một lát rồi thử lại."),
    ),
    500: (N_("Lỗi máy chủ"), N_("Đã có lỗi xảy ra. Vui lòng thử lại sau.")),
    503: (
        N_("Hệ thống đang bận"),
        N_("Hệ thống đang bận, vui lòng thử lại sau ít giây."),
    ),
}
# Seconds a client is asked to wait after a 503 (a database busy past its timeout or
# restarting): PostgreSQL restarts in a few seconds, a write lock clears in less.
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_page(status: int, detail: str | None = None) -> tuple[Any, int]:
    title, message = _MESSAGES.get(status, _MESSAGES[500])
    if request.path.startswith("/api/"):
        # The API's one documented error body (signage/api/schemas.py: Error).
        return jsonify(error=status, message=detail or _(message)), status
    if wants_json():
        return jsonify(error=_(title), message=detail or _(message)), status
    page = partial(
        render_template,
        "error.html",
        status=status,
        title=_(title),
        message=detail or _(message),
    )
    try:
        return page(), status
    except SQLAlchemyError:
        # The database cannot answer (what the page is probably about) and the
        # layout asked who is signed in: draw the page as for a visitor (the
        # campaign header falls back to the configured values by itself).
        g._login_user = AnonymousUserMixin()
        return page(), status


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = timefmt.fmt_datetime
    app.jinja_env.filters["localdate"] = timefmt.fmt_date
    app.jinja_env.filters["localclock"] = timefmt.fmt_time
    app.jinja_env.filters["daymonth"] = timefmt.fmt_day_month
    app.jinja_env.filters["ward_name"] = geo.ward_name
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["config_value"] = lambda key: app.config.get(key)

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError) -> Any:
        return error_page(
            400, _("Phiên làm việc đã hết hạn hoặc không hợp lệ. Hãy tải lại trang.")
        )

    @app.errorhandler(DomainError)
    def _domain(e: DomainError) -> Any:
        return error_page(e.status, e.translated() if e.message else None)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        if e.code is None or e.code < 400:
            return e
        body, status = error_page(e.code)
        # Keep what the exception says beside its page (405's Allow, 401's
        # WWW-Authenticate, 429's Retry-After).
        headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(DBAPIError)
    def _database(e: DBAPIError) -> Any:
        if not database_unavailable(e):
            return _crash(e)
        # Busy past its timeout or restarting: a moment's wait, not a crash. No
        # parameters in the log line (they may be a resident's name and phone).
        app.logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.path,
            type(e.orig).__name__,
        )
        body, status = error_page(503)
        return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500)

    app.request_class = Request
    app.json = BoundedJSONProvider(app)
    caches.init_app(app)
    app.session_interface = SessionWhenUsed()
    _init_request_hooks(app)
    _init_security_headers(app)


# Malformed bodies ---------------------------------------------------------------------
# Werkzeug hands a multipart part without a name to the form under the key None (and
# Flask-WTF's CSRF check then crashes on it), and Python's JSON parser raises
# RecursionError, not ValueError, on deeply nested input (so even get_json(silent=True)
# crashes). Both are the client's error: 400, on every route, before any view runs.


class _StrictFormDataParser(FormDataParser):
    def parse(self, *args: Any, **kwargs: Any) -> Any:
        stream, form, files = super().parse(*args, **kwargs)
        if None in form or None in files:
            for upload in files.values():  # the request never holds them: close here
                upload.close()
            raise BadRequest(_("Dữ liệu gửi lên có phần không tên."))
        return stream, form, files


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with RecursionError as a 400 (not a ValueError: a silent
    get_json must not read a hostile body as "no JSON" and carry on)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise BadRequest(_("Dữ liệu JSON lồng nhau quá sâu.")) from None


class _Values(ImmutableMultiDict[str, Any]):
    """Werkzeug's ImmutableMultiDict, whose ``get`` of an absent key returns the
    default without raising first: Werkzeug's builds a BadRequestKeyError (an HTTP
    exception with its description) and catches it. The scan page asks for four
    cookies a first visit does not have (session, form key, remembered visitor,
    language): 2.2 us each that way, 0.14 us this way (timeit), about 2 % of the
    request in-process. Tested in tests/core/test_request_hooks.py."""

    # One body for Werkzeug's five typed overloads of get (mypy wants them repeated).
    def get(  # type: ignore[override]
        self,
        key: Any,
        default: Any = None,
        type: Any = None,  # noqa: A002 - Werkzeug's parameter name
    ) -> Any:
        if key not in self:
            return default
        return super().get(key, default, type)


class Request(FlaskRequest):
    form_data_parser_class = _StrictFormDataParser
    # Cookies (dict_storage_class), query strings and forms (parameter_storage_class).
    dict_storage_class = _Values
    parameter_storage_class = _Values

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies, parsed by Werkzeug's WSGI parser from the environ's
        ``HTTP_COOKIE`` (``werkzeug.http.parse_cookie``, which documents this use).
        Werkzeug's Request.cookies is written for any server (sans-IO) and finds the
        Cookie header by listing every header of the environ (EnvironHeaders.getlist):
        about 4 % of the scan page (py-spy, in-process). Same result, tested in
        tests/core/test_request_hooks.py."""
        cookies = parse_cookie(self.environ, cls=self.dict_storage_class)
        return cast(ImmutableMultiDict[str, str], cookies)  # an instance of that cls

    # Whether the matched view is lean (see the request hooks below); None until asked.
    signage_lean: bool | None = None
    _body_limit_asked = False

    @property
    def max_content_length(self) -> int | None:
        """Flask's (MAX_CONTENT_LENGTH, or what was set on this request), unless the
        matched view declares a larger one (:func:`body_limit`), asked once when the
        body is first read."""
        if self._max_content_length is None and not self._body_limit_asked:
            self._body_limit_asked = True
            endpoint = self.endpoint
            view = current_app.view_functions.get(endpoint) if endpoint else None
            limit = getattr(view, _BODY_LIMIT, None)
            if limit is not None:
                self._max_content_length = limit()
        return FlaskRequest.max_content_length.fget(self)  # type: ignore[attr-defined] # a property's getter

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


_BODY_LIMIT = "_signage_body_limit"


def body_limit(limit: Callable[[], int | None]) -> Callable[[F], F]:
    """Let a view's requests send a larger body than MAX_CONTENT_LENGTH: ``limit()``
    runs in the request, only when something first reads the body (the CSRF check
    reads the form before any view runs), and returns the bytes allowed, or None for
    the default. Put it right under the route decorator; no request pays for it
    unless its view has one."""

    def mark(view: F) -> F:
        setattr(view, _BODY_LIMIT, limit)
        return view

    return mark


# Scripts a public page carries inline, so that a resident's phone makes one request
# for the page (tests/checkin/test_scan.py): each is allowed by the SHA-256 of its
# exact text (the CSP way for a fixed inline script, like a nonce but cacheable), and
# rendered by the ``inline_script`` template function. No other inline <script> and no
# on...= attribute runs, so an injected tag does nothing.
INLINE_SCRIPTS = ("js/clock.js",)


def _csp(script_hashes: Iterable[str]) -> str:
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    # Inline style attributes stay allowed (styles run no code).
    return (
        "default-src 'self'; img-src 'self' data: blob:; "
        f"style-src 'self' 'unsafe-inline'; script-src {scripts}; "
        "frame-ancestors 'none'"
    )


# Production is served over HTTPS only (PUBLIC_BASE_URL must be https://): browsers
# that saw this once never try plain HTTP for a year, so a hostile Wi-Fi cannot
# downgrade a resident's check-in. deploy/nginx.conf sends the same header.
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """WSGI middleware that adds the security headers to every response whose view
    did not set its own, and ``Cache-Control: no-store`` to HTML that has none.

    Done on the header list the app hands to ``start_response`` (tuples of strings)
    rather than in an after-request hook on the Response's ``Headers``: counted with
    callgrind (bench/instructions.py, in-process), the hook cost ``GET /C/<TOKEN>``
    about 112,000 instructions of its 1,185,000 (reading ``Headers``, parsing the
    Content-Type for the mimetype, five validated ``add`` calls), this about a tenth
    of that. It also covers every response alike, error pages included.
    Tested in tests/core/test_request_hooks.py.
    """

    def __init__(
        self, wsgi_app: Callable[..., Any], headers: Iterable[tuple[str, str]]
    ) -> None:
        self.wsgi_app = wsgi_app
        self.headers = tuple((name.lower(), name, value) for name, value in headers)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        security = self.headers

        def start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            present = set()
            html = False
            for name, value in headers:
                key = name.lower()
                present.add(key)
                if key == "content-type":
                    html = value.split(";", 1)[0].strip().lower() == "text/html"
            for key, name, value in security:
                if key not in present:
                    headers.append((name, value))
            if html and "cache-control" not in present:
                headers.append(("Cache-Control", "no-store"))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


def _init_security_headers(app: Flask) -> None:
    """Wrap the app in :class:`SecurityHeaders` and register ``inline_script``."""
    assert app.static_folder is not None
    texts = {
        name: (Path(app.static_folder) / name).read_text(encoding="utf-8")
        for name in INLINE_SCRIPTS
    }
    hashes = [
        base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        for text in texts.values()
    ]
    headers = [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", _csp(hashes)),
    ]
    if app.config["ENV"] == "production":
        headers.append(HSTS)

    def inline_script(name: str) -> Markup:
        # Only a registered file, written exactly as hashed.
        return Markup("<script>") + Markup(texts[name]) + Markup("</script>")

    app.jinja_env.globals["inline_script"] = inline_script
    app.wsgi_app = SecurityHeaders(app.wsgi_app, headers)  # type: ignore[method-assign]


class SessionWhenUsed(SecureCookieSessionInterface):
    """Flask's signed-cookie session, opened and saved only when there is one.

    Flask builds its itsdangerous serializer and reads seven cookie settings on every
    request, session or not; the public pages (scan, check-in, health check) never
    have one. A request without a session cookie gets an empty session at once, and
    a session still empty, unmodified and untouched at the end is not saved (Flask
    itself would only have returned at that point). Everything else, including
    ``Vary: Cookie`` on a read session, is Flask's.
    """

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        # No Cookie header at all (a first scan, a health probe): nothing to parse.
        if not request.environ.get("HTTP_COOKIE") or not request.cookies.get(
            app.config["SESSION_COOKIE_NAME"]
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


# The request hooks -------------------------------------------------------------------
# Every hook in Flask's global lists costs every request a call through ensure_sync,
# and every look-up of ``request`` or ``current_app`` a trip through a context-local
# proxy. Counted with callgrind (instructions per request, in-process, /healthz about
# 790,000 before): Flask-WTF's CSRF hook spent about 72,000 on a GET, which it never
# checks, mostly on such look-ups; Flask-Limiter's and Flask-Login's four hooks, each
# asking whether the view is lean, about 64,000. So the app's global hooks are not in
# Flask's lists at all: :class:`RequestHooks` holds them, and the app class runs it
# ahead of each list (``Signage.preprocess_request``, ``process_response``,
# ``do_teardown_request``; as three registered dispatchers they still cost the scan
# page 25,000 of its 702,000 instructions). It checks CSRF (through Flask-WTF's own
# ``protect``, as its documentation shows with WTF_CSRF_CHECK_DEFAULT off) only on the
# methods Flask-WTF protects, and runs Flask-Limiter's and Flask-Login's hooks, in
# Flask's order, only for views that use them (not lean). Security headers are not a
# hook at all (:class:`SecurityHeaders`). Hooks that other code registers (a
# blueprint's, ``after_this_request``) stay in Flask's lists and run after these.
#
# Flask-Limiter looks every request's limits up (before), may add headers (after) and
# resets its context (teardown), and Flask-Login refreshes its remember cookie (after):
# a public view marked lean has no limit through Flask-Limiter, no login and no
# session, and skips those; every other protection (CSRF, security headers, the
# database teardown) still applies.

_LEAN = "_signage_lean"


def lean(view: F) -> F:
    """Mark a public view that is exempt from Flask-Limiter (it has no limit there,
    or counts its own) and never logs anyone in or out."""
    from .extensions import limiter

    setattr(view, _LEAN, True)
    return cast(F, limiter.exempt(view))


class RequestHooks:
    """The app's step in each phase of a request, which :class:`signage.Signage` runs
    ahead of Flask's own hook lists: the CSRF check on the methods Flask-WTF
    protects, then, for views that are not lean, Flask-Limiter's and Flask-Login's
    hooks in Flask's order."""

    def __init__(
        self,
        app: Flask,
        before: list[Any],
        after: list[Any],
        teardown: list[Any],
    ) -> None:
        from .extensions import csrf

        self._csrf = csrf
        self._config = app.config
        self._views = app.view_functions
        self._before = before
        self._after = after[::-1]  # Flask runs after and teardown hooks last first
        self._teardown = teardown[::-1]

    def _lean(self, req: Request) -> bool:
        lean_: bool | None = req.signage_lean
        if lean_ is None:
            view = self._views.get(req.endpoint) if req.endpoint else None
            lean_ = req.signage_lean = getattr(view, _LEAN, False)
        return lean_

    def before(self) -> Any:
        req = this_request()
        config = self._config
        if config["WTF_CSRF_ENABLED"] and req.method in config["WTF_CSRF_METHODS"]:
            self._csrf.protect(apply_exemptions=True)
        if not self._lean(req):
            for hook in self._before:
                rv = hook()
                if rv is not None:
                    return rv
        return None

    def after(self, response: Response) -> Response:
        if not self._lean(this_request()):
            for hook in self._after:
                response = hook(response)
        return response

    def teardown(self, exc: BaseException | None) -> None:
        if not self._lean(this_request()):
            for hook in self._teardown:
                hook(exc)


def _init_request_hooks(app: Flask) -> None:
    from . import Signage
    from .extensions import limiter, login_manager

    def owner(hook: Any) -> object:
        if isinstance(hook, partial):
            return hook.args[0] if hook.args else None
        return getattr(hook, "__self__", None)

    def ours(hook: Any) -> bool:
        return owner(hook) is limiter or owner(hook) is login_manager

    def inert(hook: Any) -> bool:
        # Flask-WTF's own hook, which returns at once with WTF_CSRF_CHECK_DEFAULT
        # off: RequestHooks.before calls its protect() instead.
        return getattr(hook, "__module__", "") == "flask_wtf.csrf"

    def take(hooks: dict[Any, list[Any]]) -> list[Any]:
        """Remove the global hooks from Flask's list; returns the limiter's and
        Flask-Login's in registration order."""
        mine = hooks.get(None, [])
        hooks[None] = [h for h in mine if not ours(h) and not inert(h)]
        return [h for h in mine if ours(h)]

    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    assert isinstance(app, Signage)
    app.request_hooks = RequestHooks(
        app,
        before=take(app.before_request_funcs),
        after=take(app.after_request_funcs),
        teardown=take(app.teardown_request_funcs),
    )


def flashed_step(step: Callable[[], object], done: str, back: str) -> Any:
    """Run one portal action from a list page's button (withdraw an invitation,
    change a member's role...) and go back to ``back`` (303): 404 when the service
    finds nothing the user may touch, its refusal flashed as an error, else ``done``
    flashed as a success."""
    try:
        step()
    except NotFound:
        abort(404)
    except DomainError as e:
        flash(e.translated(), "error")
    else:
        flash(done, "success")
    return redirect(back, 303)


def csv_download(rows: Iterable[csvout.Row], filename: str) -> Response:
    """A small CSV download for Excel (see csvout), never cached. The mimetype gets
    Flask's ``; charset=utf-8``: the Content-Type names the charset once."""
    return Response(
        csvout.body(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
