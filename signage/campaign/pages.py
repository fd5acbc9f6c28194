"""The campaign identity as the pages read it: cached, never failing a page."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from .. import caches, db
from . import services


def identity() -> services.Identity:
    """The identity in force, for pages (cached, see caches.campaign). A database
    that cannot answer (an error page being drawn) gives the configured fallback."""
    config = current_app.config
    try:
        return caches.campaign(lambda: services.current(db.session(), config))
    except SQLAlchemyError:
        return services.current_or_fallback(config)
