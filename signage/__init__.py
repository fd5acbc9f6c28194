"""signage: QR feedback boards, check-ins and e-poster screens for a province."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from inspect import CO_COROUTINE
from types import FunctionType
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask.typing import ResponseReturnValue
from werkzeug.middleware.proxy_fix import ProxyFix

from .db import request_transaction

if TYPE_CHECKING:
    from flask import Response

    from .web import RequestHooks

_DEV_SECRET = "dev-only-secret-key-never-use-in-production"


class ConfigError(RuntimeError):
    pass


_NOT_GIVEN: Any = object()


class Signage(Flask):
    """Flask whose views all run inside the one request transaction boundary
    (:func:`signage.db.request_transaction`): views and services never commit; and
    whose global request hooks run as one step per phase, ahead of Flask's lists
    (:class:`signage.web.RequestHooks`, set by ``web.init_app``)."""

    request_hooks: RequestHooks | None = None

    def preprocess_request(self) -> ResponseReturnValue | None:
        if self.request_hooks is not None:
            rv = self.request_hooks.before()
            if rv is not None:
                return rv
        return super().preprocess_request()

    def process_response(self, response: Response) -> Response:
        if self.request_hooks is not None:
            response = self.request_hooks.after(response)
        return super().process_response(response)

    def do_teardown_request(self, exc: BaseException | None = _NOT_GIVEN) -> None:
        if exc is _NOT_GIVEN:  # as Flask: the exception being handled, if any
            exc = sys.exc_info()[1]
        if self.request_hooks is not None:
            self.request_hooks.teardown(exc)
        super().do_teardown_request(exc)

    def dispatch_request(self) -> ResponseReturnValue:
        return request_transaction(self, super().dispatch_request)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's, with its usual answer found first: a plain ``def`` (every view
        and hook of this app) is returned as it is, as Flask would.

        Flask asks this of every view and hook on every request, through
        ``inspect.iscoroutinefunction`` (which unwraps methods and partials first):
        7 times per GET /C/<TOKEN>, about 20,000 of its 906,000 instructions and
        17,000 of the health check's 512,000 (callgrind, bench/instructions.py). A
        function's code flags (and, from Python 3.12, the mark
        ``inspect.markcoroutinefunction`` sets) give the same answer at once; anything
        else goes to Flask. tests/core/test_request_hooks.py compares the two."""
        if type(func) is FunctionType and not (
            func.__code__.co_flags & CO_COROUTINE
            or "_is_coroutine_marker" in func.__dict__
        ):
            return func
        return super().ensure_sync(func)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: config, extensions, blueprints. No I/O, no queries.

    Under a pre-forking server every worker would inherit anything opened here, so
    connections are made lazily on first use (and disposed after fork, see
    gunicorn.conf.py).
    """
    # The instance folder (SQLite file, local counters, render cache) is per host;
    # SIGNAGE_INSTANCE_PATH moves it, e.g. to run two app servers from one checkout.
    instance = os.environ.get("SIGNAGE_INSTANCE_PATH") or None
    app = Signage(
        __name__,
        instance_path=os.path.abspath(instance) if instance else None,
        instance_relative_config=True,
    )
    app.config.from_object("signage.config")
    app.config.from_prefixed_env("SIGNAGE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _check_config(app)

    if app.config.get("PROXY_COUNT"):
        n = int(app.config["PROXY_COUNT"])
        # Flask's documented way to wrap its WSGI callable in middleware.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]

    from . import crypto, db, extensions

    crypto.init_app(app)
    db.init_app(app)
    extensions.init_app(app)

    from . import auth, web  # noqa: F401  (auth registers the user loader)

    web.init_app(app)
    _register_blueprints(app)
    return app


def check_environment() -> None:
    """Raise ConfigError if the settings from the environment would not start the
    app: gunicorn's master calls it before forking workers (gunicorn.conf.py), so a
    missing secret stops the server at once with one line, instead of workers
    failing to boot over and over."""
    app = Flask(__name__)
    app.config.from_object("signage.config")
    app.config.from_prefixed_env("SIGNAGE")
    _check_config(app)


def _check_config(app: Flask) -> None:
    env = app.config["ENV"]
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"SIGNAGE_ENV must be production/development/testing: {env}")
    if env == "production":
        secret = app.config.get("SECRET_KEY") or ""
        if len(secret) < 32 or secret == _DEV_SECRET:
            raise ConfigError("Set SIGNAGE_SECRET_KEY to 32+ random characters.")
        if not str(app.config.get("PUBLIC_BASE_URL") or "").startswith("https://"):
            raise ConfigError("Set SIGNAGE_PUBLIC_BASE_URL to the https:// address.")
        if not app.config.get("DATA_KEY"):
            raise ConfigError(
                "Set SIGNAGE_DATA_KEY (make one with: python -m signage.crypto)."
            )
        if not app.config.get("SMTP_URL"):
            raise ConfigError(
                "Set SIGNAGE_SMTP_URL to the mail server "
                "(smtp://user:password@host:587?starttls=1 or smtps://...)."
            )
    else:
        app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _DEV_SECRET
        # Boards printed in development point at the server as started: gunicorn
        # binds SIGNAGE_BIND (gunicorn.conf.py), so the default follows it.
        bind = str(app.config.get("BIND") or "127.0.0.1:8000")
        app.config["PUBLIC_BASE_URL"] = (
            app.config.get("PUBLIC_BASE_URL") or f"http://{bind}"
        )
        app.config["SESSION_COOKIE_SECURE"] = bool(
            app.config.get("FORCE_SECURE_COOKIES", False)
        )
    app.config["PUBLIC_BASE_URL"] = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if app.config.get("DATA_KEY"):
        from .crypto import DataKeyError, parse_keys

        try:
            parse_keys(str(app.config["DATA_KEY"]))
        except DataKeyError as e:
            raise ConfigError(str(e)) from None
    if app.config.get("SMTP_URL"):
        from .mail.transport import SmtpUrlError, parse_smtp_url

        try:
            parse_smtp_url(str(app.config["SMTP_URL"]))
        except SmtpUrlError as e:
            raise ConfigError(f"SIGNAGE_SMTP_URL: {e}") from e
    if env == "testing":
        app.config["TESTING"] = True
    # TIMEZONE was renamed BABEL_DEFAULT_TIMEZONE (one setting for Babel and timefmt);
    # a deployment that still sets SIGNAGE_TIMEZONE keeps its zone.
    if "TIMEZONE" in app.config:
        app.config["BABEL_DEFAULT_TIMEZONE"] = app.config.pop("TIMEZONE")


def _register_blueprints(app: Flask) -> None:
    # One entry per line, so areas add theirs without touching each other's.
    from .accounts.account_views import bp as account_bp
    from .accounts.views import bp as accounts_bp
    from .adoption.views import bp as adoption_bp
    from .api.admin import bp as api_admin_bp
    from .api.views import bp as api_bp
    from .campaign.views import bp as campaign_bp
    from .cards.views import bp as cards_bp
    from .checkin.portal import bp as checkin_portal_bp
    from .checkin.views import bp as checkin_bp
    from .core.views import bp as core_bp
    from .jobs.views import bp as jobs_bp
    from .mail.views import bp as mail_bp
    from .mail.views import dev_bp as mail_dev_bp
    from .posters.admin_views import bp as boards_admin_bp
    from .posters.views import bp as posters_bp
    from .privacy.views import bp as privacy_bp
    from .reports.views import bp as reports_bp
    from .screens.alert_views import bp as screens_alerts_bp
    from .screens.player_views import bp as screens_player_bp
    from .screens.screen_views import bp as screens_admin_bp
    from .screens.views import bp as screens_bp
    from .tracing.views import bp as tracing_bp
    from .units.import_views import bp as units_import_bp
    from .units.register_views import bp as registration_bp
    from .units.views import bp as units_bp
    from .venues.views import bp as venues_bp

    for bp in (
        core_bp,
        accounts_bp,
        account_bp,
        venues_bp,
        checkin_bp,
        checkin_portal_bp,
        posters_bp,
        screens_bp,
        screens_admin_bp,
        screens_player_bp,
        screens_alerts_bp,
        reports_bp,
        tracing_bp,
        api_bp,
        api_admin_bp,
        cards_bp,
        jobs_bp,
        boards_admin_bp,
        privacy_bp,
        adoption_bp,
        units_bp,
        mail_bp,
        registration_bp,
        units_import_bp,
        campaign_bp,
    ):
        app.register_blueprint(bp)
    if app.config["ENV"] != "production":  # the developer's outbox: never in production
        app.register_blueprint(mail_dev_bp)
    from .accounts.cli import bp as accounts_cli
    from .cards.cli import bp as cards_cli
    from .checkin.cli import bp as checkin_cli
    from .core.backup import bp as backup_cli
    from .core.cli import bp as core_cli
    from .core.cli import keys_bp as keys_cli
    from .demo import bp as demo_cli
    from .jobs.cli import bp as jobs_cli
    from .posters.cli import bp as boards_cli
    from .reports.cli import bp as reports_cli
    from .screens.cli import bp as screens_cli
    from .units.cli import bp as units_cli
    from .venues.cli import bp as venues_cli

    for bp in (
        core_cli,
        backup_cli,
        keys_cli,
        accounts_cli,
        venues_cli,
        demo_cli,
        checkin_cli,
        boards_cli,
        screens_cli,
        reports_cli,
        cards_cli,
        jobs_cli,
        units_cli,
    ):
        app.register_blueprint(bp)
