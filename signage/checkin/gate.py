"""The check-in write path: one autocommit statement, retried briskly while SQLite is
busy instead of napping in SQLite's busy handler.

SQLite admits one writer at a time. A connection that finds the write lock taken gets
SQLITE_BUSY, and the busy handler naps before retrying (1, 2, 5, 10 ... 100 ms) however
soon the lock is freed: with 16 writers on 4 processes a raw insert loop showed waits of
up to 2.8 s. Here the check-in INSERT is a single statement on an autocommit
connection, so SQLite takes and frees its write lock inside the statement (no Python,
no GIL in between); the connection's busy timeout is 0 while we hold it, and a refused
write is retried after a fraction of a millisecond (growing to 2 ms), for up to the
app's usual busy timeout. A lock of our own around the write (thread lock, flock) was
tried and measured no better: its holder must win the GIL back from sibling threads
before it can let go. PostgreSQL needs none of this.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
_FIRST_PAUSE = 0.0002  # seconds
_LONGEST_PAUSE = 0.002


@contextmanager
def autocommit(engine: Engine, busy_timeout_ms: int) -> Iterator[Connection]:
    """A pooled connection on which every statement commits on its own; on SQLite
    with its busy timeout off (restored before the connection goes back)."""
    if engine.dialect.name != "sqlite":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn
        return
    with engine.connect().execution_options(sqlite_autocommit=True) as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA busy_timeout=0")
        try:
            yield conn
        finally:
            raw.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")


def _busy(error: OperationalError) -> bool:
    return getattr(error.orig, "sqlite_errorname", "") in {
        "SQLITE_BUSY",
        "SQLITE_BUSY_SNAPSHOT",
        "SQLITE_LOCKED",
    } or "database is locked" in str(error.orig)


def retry_busy(statement: Callable[[], T], *, timeout_ms: int) -> T:
    """Run ``statement`` (one autocommit statement: all or nothing), retrying while
    SQLite answers busy; re-raises after ``timeout_ms``."""
    deadline = time.monotonic() + timeout_ms / 1000
    pause = _FIRST_PAUSE
    while True:
        try:
            return statement()
        except OperationalError as e:
            if not _busy(e) or time.monotonic() >= deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))  # jitter: waiters spread out
        pause = min(pause * 2, _LONGEST_PAUSE)
