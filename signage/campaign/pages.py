"""The campaign identity as the pages read it: cached, never failing a page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, has_request_context
from sqlalchemy.exc import SQLAlchemyError

from .. import caches, db
from ..extensions import this_app
from . import services


def identity() -> services.Identity:
    """The identity in force, for pages (cached, see caches.campaign). A database
    that cannot answer (an error page being drawn) gives the configured fallback."""
    config = this_app().config
    try:
        return caches.campaign(lambda: _read(config))
    except SQLAlchemyError:
        return services.current_or_fallback(config)


def _read(config: Mapping[str, Any]) -> services.Identity:
    if has_request_context():
        return services.current(db.session(), config)
    # Outside a request (a job or a command drawing a mail) the caller holds a write
    # Session of its own: the app context's Session would begin IMMEDIATE on SQLite,
    # wait the whole busy timeout (15 s) on the caller's lock and then fall back to
    # the configured identity. A short read transaction never waits under WAL.
    with db.get_db(current_app).read() as s:
        return services.current(s, config)
