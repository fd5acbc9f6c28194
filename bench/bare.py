"""The baselines of bench/checkin.py: what Flask itself costs, with nothing of ours.

Served by the same command as the app (``gunicorn -c gunicorn.conf.py
bench.bare:hello``), so a ratio to them measures only what signage adds:

- ``hello``: one route answering a short text;
- ``insert``: the check-in POST's URL, reading the same form fields and writing the
  same kind of row (the ``checkins`` table of a copy of the migrated bench database,
  so the same indexes) with one INSERT on an autocommit SQLite connection opened with
  the app's pragmas (WAL, the app's synchronous setting, busy timeout, foreign
  keys, mmap);
- ``scan``: the scan page's URL doing the scan page's I/O: the venue read by its
  token (the same columns and join) on that connection, the app's own page for that
  venue (kept as the app served it, with its two per-visitor values as slots)
  filled with a form token (a random key cookie and its keyed BLAKE2b MAC) and a
  random submission id, sent with the app's headers. What any Flask app serving
  this page costs: the floor under ``GET /C/<TOKEN>``.

The database is named by BENCH_BARE_DB, the insert's venue id by BENCH_BARE_VENUE,
the scan page (JSON: ``page`` with the slots, ``headers``) by BENCH_BARE_PAGE.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
from base64 import urlsafe_b64encode
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


scan = Flask("scan")
_BY_TOKEN = (
    "SELECT venues.id, venues.token, venues.name, organisations.name, "
    "venues.address, venues.ward_code, venues.active, venues.stay_minutes "
    "FROM venues JOIN organisations ON organisations.id = venues.organisation_id "
    "WHERE venues.token = ?"
)
CSRF_SLOT = "\x00csrf\x00"
SUBMISSION_SLOT = "\x00submission\x00"
_MAC_KEY = hashlib.sha256(b"bench").digest()
_pages: dict[tuple[object, ...], str] = {}


def _page() -> tuple[str, list[tuple[str, str]]]:
    saved = getattr(_local, "page", None)
    if saved is None:
        with open(os.environ["BENCH_BARE_PAGE"], encoding="utf-8") as f:
            data = json.load(f)
        saved = _local.page = (data["page"], [tuple(h) for h in data["headers"]])
    return saved


@scan.get("/C/<token>")
def _scan(token: str) -> tuple[str, int, list[tuple[str, str]]]:
    row = _connection().execute(_BY_TOKEN, (token,)).fetchone()
    if row is None:
        return "", 404, []
    template, headers = _page()
    page = _pages.setdefault(row, template)  # one page per venue as read
    key = request.cookies.get("ci_k") or secrets.token_urlsafe(16)
    issued = format(int(time.time()), "x")
    mac = hashlib.blake2b(
        f"{key}|{issued}".encode(), key=_MAC_KEY, digest_size=18
    ).digest()
    page = page.replace(
        CSRF_SLOT, f"{issued}.{urlsafe_b64encode(mac).decode()}", 1
    ).replace(SUBMISSION_SLOT, secrets.token_urlsafe(16), 1)
    cookie = f"ci_k={key}; HttpOnly; Path=/C; SameSite=Lax"
    return page, 200, [*headers, ("Set-Cookie", cookie)]
