"""Flask extensions, created unbound and initialised by create_app."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

if TYPE_CHECKING:
    from flask.ctx import _AppCtxGlobals

    from .web import Request

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


# The context's objects themselves ------------------------------------------------
# Reading an attribute through one of Flask's context-local proxies
# (``current_app.config``, ``request.cookies``, ``g.get``) first misses on the
# LocalProxy and then resolves the context in Werkzeug's ``__getattr__``: 0.9-1.2 us
# per read, against 0.1-0.3 us through the proxy's own ``_get_current_object()``
# (timeit in a request context, Python 3.11, Werkzeug 3.1). The public pages made a
# dozen such reads per request, about 5 % of GET /C/<TOKEN> (callgrind,
# bench/instructions.py), so code on those paths takes the object once from these.


def this_app() -> Flask:
    """The app behind ``current_app``: for work that outlives the request or app
    context that started it (a streamed body, a queued job, a CLI command), and for
    the public path's reads (above)."""
    # LocalProxy's own method, which Flask's type for current_app does not declare.
    return current_app._get_current_object()  # type: ignore[attr-defined]


def this_request() -> Request:
    """The request object itself (see above): one look-up for a function's many
    reads."""
    return request._get_current_object()  # type: ignore[attr-defined] # as this_app


def this_g() -> _AppCtxGlobals:
    """The app context's ``g`` itself (see above)."""
    return g._get_current_object()


def select_locale() -> str:
    """The language the visitor chose (the VI/EN switch's cookie), else the first
    of ours their phone asks for (Accept-Language: a tourist's English phone gets
    English), else Vietnamese."""
    if not has_request_context():  # a mail rendered by a job or a command
        return "vi"
    req = this_request()
    languages = tuple(this_app().config["LANGUAGES"])
    lang = req.cookies.get("lang", "")
    if lang in languages:
        return lang
    return _best_language(req.environ.get("HTTP_ACCEPT_LANGUAGE", ""), languages)


@lru_cache(maxsize=256)
def _best_language(header: str, languages: tuple[str, ...]) -> str:
    """Ours that an Accept-Language header prefers, or Vietnamese.

    Parsing the header is Werkzeug's (``request.accept_languages``), but costs 7-16 us
    per request (timeit, headers of Vietnamese and English phones) where a look-up
    here costs well under one: phones send a few dozen distinct headers, so the
    answer is kept for the last 256 (a header never seen costs the parse, as
    before). tests/checkin/test_public_paths.py checks that it answers as Werkzeug
    does."""
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(languages) or "vi"


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
