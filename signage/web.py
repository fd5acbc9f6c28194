"""App-wide web glue: template filters, error pages, security headers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import csvout, geo, timefmt
from .errors import N_, DomainError

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
}


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
    return (
        render_template(
            "error.html", status=status, title=_(title), message=detail or _(message)
        ),
        status,
    )


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
        return error_page(e.status, _(e.message) if e.message else None)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> Any:
        if e.code is None or e.code < 400:
            return e
        body, status = error_page(e.code)
        # Keep what the exception says beside its page (405's Allow, 401's
        # WWW-Authenticate, 429's Retry-After).
        headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
        return body, status, headers

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> Any:
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500)

    @app.after_request
    def _headers(resp: Response) -> Response:
        h = resp.headers
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
            "frame-ancestors 'none'",
        )
        if resp.mimetype == "text/html":
            h.setdefault("Cache-Control", "no-store")
        return resp


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
