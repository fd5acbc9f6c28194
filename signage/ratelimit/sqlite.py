"""Rate-limit counters in a SQLite file: shared by the workers of a machine, no server.

``limits`` ships memory (one process), Redis, Memcached and MongoDB storages. The
default deployment is gunicorn with 4 workers and no server besides it, where a
per-process memory storage lets each worker count alone (4x every documented figure,
measured). This storage registers the ``signage+sqlite:///ABSOLUTE/PATH`` scheme with
``limits``, so Flask-Limiter and :mod:`signage.ratelimit` both take it from
``RATELIMIT_STORAGE_URI``; its default is ``instance/ratelimit.db``, a file of its own,
so counting never waits on the check-ins' write lock.

It implements the fixed window (``incr``/``get``, what Flask-Limiter uses by default)
and the sliding window counter, which our limits use: a burst straddling a minute
boundary is still held to the figure, where a fixed window lets through twice as many.
Each acquisition is ONE autocommit statement (``INSERT ... SELECT ... WHERE`` weighted
count fits ``ON CONFLICT DO UPDATE ... RETURNING``), so the check and the increment
are atomic under SQLite's write lock across processes, without a read-then-write
transaction that could deadlock on the lock upgrade.

Durability is not wanted for counters: WAL with ``synchronous=NORMAL`` commits
without an fsync (fsync only at checkpoints) and, unlike ``OFF``, cannot leave a
corrupt file after a power cut (bench/ratelimit.py: 92 µs a hit against 74 µs
with OFF, under load; a check-in makes two).
Expired rows are swept once a minute per process.

Connections are per thread and per process (a connection must never cross a fork or
be used by two threads at once); nothing is opened before the first hit.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from limits.errors import ConfigurationError
from limits.storage import SlidingWindowCounterSupport, Storage
from limits.storage.base import TimestampedSlidingWindow

from ..db import sqlite_driver

SWEEP_SECONDS = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    expires REAL NOT NULL
) WITHOUT ROWID
"""

_INCR = """
INSERT INTO counters (key, count, expires) VALUES (:key, :amount, :now + :expiry)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires <= :now THEN :amount ELSE count + :amount END,
    expires = CASE WHEN expires <= :now THEN :now + :expiry ELSE expires END
RETURNING count
"""

# The previous window's count weighted by the share of it still inside the sliding
# window, plus the current window's count, plus this hit, must stay within the limit
# (limits' own formula, as in its memory and Redis storages).
_ACQUIRE = """
INSERT INTO counters (key, count, expires)
SELECT :current, :amount, :now + 2 * :expiry
WHERE CAST(:weight * COALESCE(
        (SELECT count FROM counters WHERE key = :previous AND expires > :now), 0
      ) AS INTEGER)
    + COALESCE((SELECT count FROM counters WHERE key = :current AND expires > :now), 0)
    + :amount <= :limit
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN expires <= :now THEN 0 ELSE count END + excluded.count,
    expires = CASE WHEN expires <= :now THEN excluded.expires ELSE expires END
RETURNING count
"""

_GET = "SELECT count, expires FROM counters WHERE key = ? AND expires > ?"

# A connection made before a fork must not be used after it: bumped in each child.
_fork_generation = 0


def _after_fork() -> None:
    global _fork_generation
    _fork_generation += 1


os.register_at_fork(after_in_child=_after_fork)


class SQLiteStorage(Storage, SlidingWindowCounterSupport, TimestampedSlidingWindow):
    """``signage+sqlite:///ABSOLUTE/PATH/ratelimit.db[?synchronous=OFF]``, created on
    first use."""

    STORAGE_SCHEME = ["signage+sqlite"]

    def __init__(
        self,
        uri: str | None = None,
        wrap_exceptions: bool = False,
        busy_timeout_ms: int = 2000,
        synchronous: str = "NORMAL",
        **_options: Any,
    ) -> None:
        parsed = urllib.parse.urlparse(uri or "")
        path = parsed.path
        if not path.startswith("/"):
            raise ConfigurationError(f"{uri!r}: use signage+sqlite:///ABSOLUTE/PATH")
        query = urllib.parse.parse_qs(parsed.query)
        synchronous = query.get("synchronous", [synchronous])[-1]
        if synchronous.upper() not in {"OFF", "NORMAL", "FULL"}:
            raise ConfigurationError(f"synchronous={synchronous!r}")
        self.path = Path(path)
        self._busy_s = busy_timeout_ms / 1000
        self._synchronous = synchronous.upper()
        self._local = threading.local()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return (sqlite_driver.Error, OSError)

    # Connections ---------------------------------------------------------------

    def _conn(self) -> Any:
        local = self._local
        if getattr(local, "generation", None) != _fork_generation:
            local.conn = self._connect()
            local.generation = _fork_generation
        return local.conn

    def _connect(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite_driver.connect(
            str(self.path),
            timeout=self._busy_s,
            isolation_level=None,  # autocommit: every statement is its transaction
            check_same_thread=False,
        )
        deadline = time.monotonic() + self._busy_s
        while True:  # switching a new file to WAL can meet another process's lock
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite_driver.OperationalError:
                if time.monotonic() > deadline:
                    conn.close()
                    raise
                time.sleep(0.005)
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute(_SCHEMA)
        return conn

    def _sweep(self, conn: Any, now: float) -> None:
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            conn.execute("DELETE FROM counters WHERE expires <= ?", (now,))

    # Fixed window (Flask-Limiter's default strategy) ---------------------------

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        conn, now = self._conn(), time.time()
        self._sweep(conn, now)
        args = {"key": key, "amount": amount, "now": now, "expiry": expiry}
        return int(conn.execute(_INCR, args).fetchone()[0])

    def get(self, key: str) -> int:
        row = self._conn().execute(_GET, (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        row = self._conn().execute(_GET, (key, now)).fetchone()
        return float(row[1]) if row else now

    def clear(self, key: str) -> None:
        self._conn().execute("DELETE FROM counters WHERE key = ?", (key,))

    def reset(self) -> int | None:
        return int(self._conn().execute("DELETE FROM counters").rowcount)

    def check(self) -> bool:
        try:
            return self._conn().execute("SELECT 1").fetchone() == (1,)
        except self.base_exceptions:
            return False

    # Sliding window counter ----------------------------------------------------

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        conn, now = self._conn(), time.time()
        self._sweep(conn, now)
        previous, current = self.sliding_window_keys(key, expiry, now)
        args = {
            "previous": previous,
            "current": current,
            "weight": self._previous_weight(expiry, now),
            "amount": amount,
            "limit": limit,
            "now": now,
            "expiry": expiry,
        }
        return conn.execute(_ACQUIRE, args).fetchone() is not None

    def get_sliding_window(
        self, key: str, expiry: int
    ) -> tuple[int, float, int, float]:
        now = time.time()
        previous, current = self.sliding_window_keys(key, expiry, now)
        previous_count = self._count(previous, now)
        previous_ttl = self._previous_weight(expiry, now) * expiry
        current_ttl = (1 - (now / expiry) % 1) * expiry + expiry
        return (
            previous_count,
            previous_ttl if previous_count else 0.0,
            self._count(current, now),
            current_ttl,
        )

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        previous, current = self.sliding_window_keys(key, expiry, time.time())
        self._conn().execute(
            "DELETE FROM counters WHERE key IN (?, ?)", (previous, current)
        )

    @staticmethod
    def _previous_weight(expiry: float, now: float) -> float:
        # The share of the previous window still inside the sliding window.
        return 1 - ((now - expiry) / expiry) % 1

    def _count(self, key: str, now: float) -> int:
        row = self._conn().execute(_GET, (key, now)).fetchone()
        return int(row[0]) if row else 0
