"""Production server settings.

The README's command: `gunicorn -c gunicorn.conf.py wsgi:app`.

Override with GUNICORN_* style flags on the command line, e.g. `-w 4 -b 0.0.0.0:8000`.
"""

import gc
import os
from typing import Any

bind = os.environ.get("SIGNAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SIGNAGE_WORKERS", "4"))
# Single-threaded workers behind a buffering reverse proxy (nginx: it also terminates
# TLS; see the README). The public pages are short CPU-bound requests, and one request
# per process at a time, handed out from one accept queue, gives the shortest and
# steadiest latency: with threads, a worker's requests queue for its one GIL
# (bench/checkin.py at 16 connections, in the same hour: p99 7-15 ms here against
# 20-32 ms with 2 threads and 30-240 ms with 4). Without a proxy in front, slow
# phones would hold these workers: run SIGNAGE_WORKER_CLASS=gthread (SIGNAGE_THREADS
# threads each).
worker_class = os.environ.get("SIGNAGE_WORKER_CLASS", "sync")
# gunicorn quietly turns a sync worker with threads > 1 into a gthread one.
threads = int(
    os.environ.get("SIGNAGE_THREADS", "4" if worker_class == "gthread" else "1")
)
# A single-threaded worker cannot report in while it serves a request, so this is
# also the longest request: a venue's full 28-day XLSX export or a province-wide batch
# of boards takes minutes, not seconds.
timeout = int(os.environ.get("SIGNAGE_TIMEOUT", "300"))
graceful_timeout = 20
keepalive = 5
# No access log unless asked for (SIGNAGE_ACCESS_LOG=- for stdout, or a file): every
# line would pair a resident's IP address with a venue's token and the time (and a
# confirmation URL), a second check-in log that the retention purge never reaches.
# Formatting it also cost about a tenth of a check-in's time.
accesslog = os.environ.get("SIGNAGE_ACCESS_LOG") or None
errorlog = "-"
# Recycle workers now and then so a slow leak can never take a worker down.
max_requests = 20000
max_requests_jitter = 2000


def post_fork(server: Any, worker: Any) -> None:  # noqa: ARG001 - the hook's signature
    # With --preload the app (and its engine) exist before the fork; a pooled
    # connection must never be shared between processes, so each worker drops the
    # inherited pool (without closing the parent's sockets) and opens its own.
    app = getattr(worker, "wsgi", None)
    engine_holder = getattr(app, "extensions", {}).get("signage.db") if app else None
    if engine_holder is not None:
        engine_holder.engine.dispose(close=False)


def post_worker_init(worker: Any) -> None:  # noqa: ARG001 - the hook's signature
    # Everything loaded so far (the app, its modules, templates) lives as long as the
    # worker: keep it out of the cyclic collector's full passes, which otherwise walk
    # it all (tens of milliseconds) every so often in the middle of a request.
    gc.collect()
    gc.freeze()


def on_starting(server: Any) -> None:
    # A missing or bad setting (SIGNAGE_DATA_KEY, SIGNAGE_SECRET_KEY...) stops the
    # server here with one line, before any worker starts.
    from signage import ConfigError, check_environment

    try:
        check_environment()
    except ConfigError as e:
        raise SystemExit(f"signage: {e}") from None

    # Refuse (not warn) several workers on an SQLite with the WAL corruption bug.
    from signage.db import sqlite_version

    url = os.environ.get("SIGNAGE_DATABASE_URL", "")
    if (
        workers > 1
        and (not url or url.startswith("sqlite"))
        and sqlite_version()
        < (
            3,
            51,
            3,
        )
    ):
        raise RuntimeError(
            "SQLite older than 3.51.3 corrupts WAL databases under several "
            "processes: install the pysqlite3 wheel (requirements.txt) or use -w 1"
        )
