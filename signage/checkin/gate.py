"""The check-in write path: one autocommit statement, retried briskly while SQLite is
busy instead of napping in SQLite's busy handler.

SQLite admits one writer at a time. A connection that finds the write lock taken gets
SQLITE_BUSY, and the busy handler naps before retrying (1, 2, 5, 10 ... 100 ms) however
soon the lock is freed: with 16 writers on 4 processes a raw insert loop showed waits of
up to 2.8 s. Here the check-in INSERT is a single statement on an autocommit
connection, so SQLite takes and frees its write lock inside the statement (no Python,
no GIL in between); the connections of this path have a busy timeout of 0, and a refused
write is retried after a fraction of a millisecond (growing to 2 ms), for up to the
app's usual busy timeout. A lock of our own around the write (thread lock, flock) was
tried and measured no better: its holder must win the GIL back from sibling threads
before it can let go. PostgreSQL needs none of this.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TypeVar

from flask import Flask
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from .. import crypto, db
from ..extensions import this_app
from . import services
from .services import PublicVenue

T = TypeVar("T")
_FIRST_PAUSE = 0.0002  # seconds
_LONGEST_PAUSE = 0.002


_ENGINE_KEY = "signage.checkin.writer"


def _writer_engine(app: Flask) -> Engine:
    """The app's engine, or on SQLite a second engine on the same file whose
    connections have busy_timeout=0 from the start (setting it per request would cost
    two more statements, each a GIL round trip under load)."""
    engine = db.get_db(app).engine
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return engine
    writer: Engine | None = app.extensions.get(_ENGINE_KEY)
    if writer is None:
        writer = app.extensions[_ENGINE_KEY] = db.make_engine(
            db.database_url(app),
            busy_timeout_ms=0,
            synchronous=str(app.config["SQLITE_SYNCHRONOUS"]),
            autocommit_only=True,
        )
        crypto.attach(writer, app)
    return writer


_VENUE_KEY = "signage.checkin.venue_by_token"


def public_venue(token: str, app: Flask | None = None) -> PublicVenue | None:
    """The venue a canonical token names (or None), read on a bare DBAPI
    connection of this path's engine (db.BareQuery: a seventh of the cost of the same
    statement through a SQLAlchemy Connection), retried while SQLite is busy."""
    app = app or this_app()
    query: db.BareQuery | None = app.extensions.get(_VENUE_KEY)
    if query is None:
        query = app.extensions[_VENUE_KEY] = db.BareQuery(
            services.BY_TOKEN, _writer_engine(app)
        )
    row = retry_busy(
        lambda: query.first(token=token),
        timeout_ms=int(app.config["SQLITE_BUSY_TIMEOUT_MS"]),
    )
    return services.public_venue_from_row(row) if row is not None else None


def autocommit(app: Flask | None = None) -> AbstractContextManager[Connection]:
    """A pooled connection of this path's engine on which every statement commits on
    its own (of ``app``, by default the current one)."""
    return db.autocommit(_writer_engine(app or this_app()))


def _busy(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlite_errorname", "") in {
        "SQLITE_BUSY",
        "SQLITE_BUSY_SNAPSHOT",
        "SQLITE_LOCKED",
    } or "database is locked" in str(error.orig)


def retry_busy(statement: Callable[[], T], *, timeout_ms: int) -> T:
    """Run ``statement`` (one autocommit statement: all or nothing), retrying while
    SQLite answers busy; re-raises after ``timeout_ms``."""
    deadline = None
    pause = _FIRST_PAUSE
    while True:
        try:
            return statement()
        except OperationalError as e:
            if deadline is None:  # counted from the first refusal
                deadline = time.monotonic() + timeout_ms / 1000
            if not _busy(e) or time.monotonic() >= deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))  # jitter: waiters spread out
        pause = min(pause * 2, _LONGEST_PAUSE)
