"""Deletion that deletes: personal data deleted by the purge, a resident or a
data-subject request must not be readable afterwards in the database's files.

SQLite keeps deleted rows in two places unless told otherwise: the freed space of
the database pages (zeroed only with ``PRAGMA secure_delete``, which db.make_engine
turns on for every connection) and the write-ahead log, whose old frames still hold
every row as it was written until the WAL is truncated. :func:`scrub` truncates it:
``wal_checkpoint(TRUNCATE)`` copies the (zeroed) pages into the database and empties
the WAL file. On PostgreSQL it runs ``VACUUM`` on the tables (dead row versions are
removed from the heap and indexes, their space marked free for reuse).

The TRUNCATE checkpoint waits for readers and holds back writers while it copies,
so it runs with a short busy timeout and is retried a few times rather than queueing
residents' check-ins behind a long export: if every attempt finds a reader, it
returns False and the next purge (daily) truncates the WAL instead.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from .db import autocommit

BUSY_MS = 100  # the most a check-in waits on one attempt
ATTEMPTS = 10
PAUSE_S = 0.05


def scrub(
    engine: Engine,
    tables: Sequence[str],
    *,
    attempts: int = ATTEMPTS,
    vacuum: bool = True,
) -> bool:
    """Make deleted rows of ``tables`` unrecoverable from the files now.

    SQLite: truncate the WAL (``tables`` is not needed: the whole log goes); True when
    it was done, False when readers kept it busy on every attempt. PostgreSQL:
    ``VACUUM`` each table when ``vacuum`` (outside any transaction; on a large table it
    takes a while, so requests pass ``vacuum=False`` and leave it to the daily purge
    and autovacuum); True.
    """
    if engine.dialect.name == "sqlite":
        return _truncate_wal(engine, attempts)
    if not vacuum:
        return True
    with autocommit(engine) as conn:
        for name in tables:
            conn.exec_driver_sql(f'VACUUM "{name}"')
    return True


def _truncate_wal(engine: Engine, attempts: int) -> bool:
    with autocommit(engine) as conn:
        (previous,) = conn.exec_driver_sql("PRAGMA busy_timeout").one()
        conn.exec_driver_sql(f"PRAGMA busy_timeout={BUSY_MS}")
        try:
            for attempt in range(max(attempts, 1)):
                if attempt:
                    time.sleep(PAUSE_S)
                busy, _log, _done = conn.exec_driver_sql(
                    "PRAGMA wal_checkpoint(TRUNCATE)"
                ).one()
                if not busy:
                    return True
            return False
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(previous)}")


def after_commit(session: Session, tables: Sequence[str]) -> None:
    """Scrub once ``session`` commits what it deleted (a request's deletion: the
    boundary commits it). A short try on SQLite (a resident's request should not wait
    on a reader), no VACUUM on PostgreSQL (the daily purge vacuums): what this leaves
    is cleared by the next purge's scrub."""
    engine = session.get_bind().engine

    def run(_session: Session) -> None:
        scrub(engine, tables, attempts=2, vacuum=False)

    event.listen(session, "after_commit", run, once=True)
