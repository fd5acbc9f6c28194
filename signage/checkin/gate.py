"""A queue in front of SQLite's write lock, for the check-in POST.

SQLite lets one writer in at a time; the others get SQLITE_BUSY and its busy handler
sleeps and retries (1, 2, 5, 10 ... 100 ms). Under a burst of check-ins from several
gunicorn workers those naps, not the writes (a fraction of a millisecond each),
dominate latency. Waiting on a kernel lock instead hands the turn over the moment the
previous writer finishes: a thread lock orders the threads of one process, ``flock``
on a file beside the database orders the processes. PostgreSQL needs none of this.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

_threads = threading.Lock()
_files: dict[str, tuple[int, int]] = {}  # lock path -> (pid, fd)
_files_lock = threading.Lock()


def _fd(path: str) -> int:
    # A descriptor opened before a fork is shared by parent and child, and flock on
    # a shared description does not exclude them: open one per process.
    pid = os.getpid()
    with _files_lock:
        held = _files.get(path)
        if held is None or held[0] != pid:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            _files[path] = (pid, fd)
            return fd
        return held[1]


@contextmanager
def sqlite_writer(engine: Engine) -> Iterator[None]:
    """Hold the write turn for the duration of the block (no-op off SQLite and for
    in-memory databases)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    fd = _fd(database + ".writer-lock")
    with _threads:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
