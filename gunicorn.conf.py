"""Production server settings.

The README's command: `gunicorn -c gunicorn.conf.py wsgi:app`.

Override with GUNICORN_* style flags on the command line, e.g. `-w 4 -b 0.0.0.0:8000`.
"""

import os

bind = os.environ.get("SIGNAGE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SIGNAGE_WORKERS", "4"))
worker_class = "gthread"
threads = int(os.environ.get("SIGNAGE_THREADS", "4"))
timeout = 60
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("SIGNAGE_ACCESS_LOG", "-")
errorlog = "-"
# Recycle workers now and then so a slow leak can never take a worker down.
max_requests = 20000
max_requests_jitter = 2000


def post_fork(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    # With --preload the app (and its engine) exist before the fork; a pooled
    # connection must never be shared between processes, so each worker drops the
    # inherited pool (without closing the parent's sockets) and opens its own.
    app = getattr(worker, "wsgi", None)
    engine_holder = getattr(app, "extensions", {}).get("signage.db") if app else None
    if engine_holder is not None:
        engine_holder.engine.dispose(close=False)


def on_starting(server):
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
