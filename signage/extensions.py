"""Flask extensions, created unbound and initialised by create_app."""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
babel = Babel()

# Every area keeps its own catalogue so areas never edit one shared .po file.
TRANSLATION_DIRS = ";".join(
    f"{area}translations"
    for area in (
        "",
        "accounts/",
        "venues/",
        "checkin/",
        "posters/",
        "screens/",
        "reports/",
        "tracing/",
        "cards/",
        "api/",
        "jobs/",
        "privacy/",
        "adoption/",
        "units/",
        "mail/",
        "campaign/",
    )
)


def this_app() -> Flask:
    """The app behind ``current_app``, for work that outlives the request or app
    context that started it (a streamed body, a queued job, a CLI command)."""
    # LocalProxy's own method, which Flask's type for current_app does not declare.
    return current_app._get_current_object()  # type: ignore[attr-defined]


def select_locale() -> str:
    """The language the visitor chose (the VI/EN switch's cookie), else the first
    of ours their phone asks for (Accept-Language: a tourist's English phone gets
    English), else Vietnamese."""
    from flask import current_app, has_request_context

    if not has_request_context():  # a mail rendered by a job or a command
        return "vi"
    languages = current_app.config["LANGUAGES"]
    lang = request.cookies.get("lang", "")
    if lang in languages:
        return lang
    return request.accept_languages.best_match(languages) or "vi"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATION_DIRS)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    from . import ratelimit

    ratelimit.init_app(app)  # first: it fills in the storage Flask-Limiter reads
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Vui lòng đăng nhập để tiếp tục."
    login_manager.login_message_category = "info"
    # The login record in the database is the session's identity; no remember-me.
    login_manager.session_protection = "basic"
