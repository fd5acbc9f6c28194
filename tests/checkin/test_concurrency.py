"""2,000 check-ins posted at once against the production server on SQLite.

gunicorn with the README's command (4 workers) on the embedded database:
every check-in acknowledged with a 303 must be in the table exactly once, and the
server log must never mention "database is locked".
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from signage.checkin.models import CheckIn

from ..conftest import PG_URL
from ..helpers import DATA_KEY
from ..live import free_port

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 2000
CLIENTS = 32


def _start_gunicorn(db_url: str, port: int, log: Any) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIGNAGE_ENV": "production",
        "SIGNAGE_SECRET_KEY": "concurrency-test-secret-0123456789abcdef",
        "SIGNAGE_DATA_KEY": DATA_KEY,
        "SIGNAGE_PUBLIC_BASE_URL": "https://qr.example.vn",
        "SIGNAGE_SMTP_URL": "smtp://127.0.0.1:25",
        "SIGNAGE_DATABASE_URL": db_url,
        "SIGNAGE_BIND": f"127.0.0.1:{port}",
        "SIGNAGE_WORKERS": "4",
        "SIGNAGE_CHECKIN_LIMIT_PER_IP": "100000 per minute",
        "SIGNAGE_CHECKIN_LIMIT_PER_VENUE": "100000 per minute",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return subprocess.Popen(
        [gunicorn, "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60  # a loaded CI machine boots slowly
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gunicorn exited"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    raise AssertionError("gunicorn did not start")


@pytest.mark.sqlite_only
@pytest.mark.slow
@pytest.mark.skipif(bool(PG_URL), reason="exercises the embedded SQLite file")
def test_2000_concurrent_checkins_all_stored_once(
    db_url, session, make_venue, tmp_path
):
    venue = make_venue()
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        proc = _start_gunicorn(db_url, port, out)
    try:
        _wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/C/{venue.token}")
        resp = conn.getresponse()
        page = resp.read().decode()
        conn.close()
        cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

        def post(i: int) -> tuple[str, int]:
            phone = f"09{i:08d}"
            body = urlencode(
                {
                    "csrf_token": csrf,
                    "submission_id": secrets.token_urlsafe(16),
                    "name": f"Khách {i}",
                    "phone": phone,
                    "consent": "y",
                }
            )
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                c.request(
                    "POST",
                    f"/C/{venue.token}",
                    body=body,
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": cookie,
                    },
                )
                r = c.getresponse()
                r.read()
                return phone, r.status
            except OSError:
                return phone, 0
            finally:
                c.close()

        started = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(post, range(TOTAL)))
        elapsed = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    acknowledged = {"+84" + p[1:] for p, status in results if status == 303}
    stored = list(
        session.scalars(select(CheckIn.phone).where(CheckIn.venue_id == venue.id))
    )
    output = log.read_text(errors="replace")
    assert "database is locked" not in output
    assert " 500 " not in output and "Traceback" not in output
    assert len(acknowledged) == TOTAL, {s for _p, s in results} - {303}
    assert len(stored) == len(set(stored)) == TOTAL  # no duplicates
    assert acknowledged <= set(stored)
    assert session.scalar(select(func.count(CheckIn.id))) == TOTAL
    print(f"{TOTAL} check-ins in {elapsed:.1f}s ({TOTAL / elapsed:.0f}/s)")
