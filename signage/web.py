"""App-wide web glue: template filters, error pages, security headers."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import geo, timefmt
from .errors import DomainError

_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không đúng. Hãy thử lại."),
    403: ("Không có quyền", "Bạn không có quyền xem trang này."),
    404: ("Không tìm thấy", "Trang hoặc mã bạn tìm không tồn tại."),
    405: ("Không hỗ trợ", "Thao tác này không được hỗ trợ ở đây."),
    409: ("Xung đột dữ liệu", "Dữ liệu đã thay đổi. Hãy tải lại trang."),
    410: ("Đã thay thế", "Nội dung này không còn dùng nữa."),
    413: ("Tệp quá lớn", "Tệp hoặc dữ liệu gửi lên vượt quá giới hạn cho phép."),
    422: ("Dữ liệu chưa đúng", "Hãy kiểm tra lại thông tin đã nhập."),
    429: (
        "Quá nhiều yêu cầu",
        "Bạn đã thao tác quá nhanh. Vui lòng chờ một lát rồi thử lại.",
    ),
    500: ("Lỗi máy chủ", "Đã có lỗi xảy ra. Vui lòng thử lại sau."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_page(status: int, detail: str | None = None) -> tuple[Any, int]:
    title, message = _MESSAGES.get(status, _MESSAGES[500])
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
        return error_page(e.code)

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
