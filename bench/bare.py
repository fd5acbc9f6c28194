"""The baselines of bench/checkin.py: what Flask itself costs, with nothing of ours.

Served by the same command as the app (``gunicorn -c gunicorn.conf.py
bench.bare:hello``), so a ratio to them measures only what signage adds:

- ``hello``: one route answering a short text;
- ``insert``: the check-in POST's URL, reading the same form fields and writing the
  same kind of row (the ``checkins`` table of a copy of the migrated bench database,
  so the same indexes) with one INSERT on an autocommit SQLite connection opened with
  the app's pragmas (WAL, the app's synchronous setting, busy timeout, foreign
  keys, mmap).

The insert database is named by BENCH_BARE_DB, its venue's id by BENCH_BARE_VENUE.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from datetime import UTC, datetime, timedelta

from flask import Flask, request

try:  # the SQLite the app runs on (see signage/db.py)
    import pysqlite3.dbapi2 as sqlite_driver
except ImportError:  # pragma: no cover
    import sqlite3 as sqlite_driver

hello = Flask("hello")


@hello.get("/")
def _hello() -> str:
    return "Hello, World!"


insert = Flask("insert")
_local = threading.local()
_SQL = (
    "INSERT INTO checkins (venue_id, public_ref, submission_id, name, phone, "
    "phone_hash, name_hash, checked_in_at, auto_out_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _connection() -> sqlite_driver.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite_driver.connect(os.environ["BENCH_BARE_DB"], isolation_level=None)
        for pragma in (
            "journal_mode=WAL",
            "busy_timeout=15000",
            "foreign_keys=ON",
            # The app's setting (signage/config.py SQLITE_SYNCHRONOUS, default FULL).
            "synchronous=" + os.environ.get("SIGNAGE_SQLITE_SYNCHRONOUS", "FULL"),
            "mmap_size=268435456",
        ):
            conn.execute(f"PRAGMA {pragma}")
        _local.conn = conn
    return conn


@insert.post("/C/<token>")
def _insert(token: str) -> tuple[str, int]:
    f = request.form
    name, phone = f.get("name", ""), f.get("phone", "")
    now = datetime.now(UTC).replace(tzinfo=None)
    _connection().execute(
        _SQL,
        (
            int(os.environ["BENCH_BARE_VENUE"]),
            secrets.token_urlsafe(12),
            f.get("submission_id", ""),
            name.encode(),
            phone.encode(),
            hashlib.sha256(phone.encode()).hexdigest(),
            hashlib.sha256(name.encode()).hexdigest(),
            now,
            now + timedelta(hours=2),
        ),
    )
    return "", 201
