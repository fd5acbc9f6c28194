"""Crash harness: 2,000 check-ins (1,000 on PostgreSQL) against the production
server (gunicorn, 4 workers) while it is hurt: workers killed with SIGKILL, then the
master and every worker killed and the server started again, and on PostgreSQL the
database restarted (fast shutdown: open connections are cut) in the middle of the
load.

Phones behave like phones: a check-in that got no answer, a 502 or a 503 is sent
again (the same form, so the same submission id) after a short wait. What must hold:
every check-in acknowledged with a 303 is in the table exactly once (0 acknowledged
lost), and no request ever answers 500.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from signage import create_app
from signage.accounts import services as accounts
from signage.accounts.models import OrgKind
from signage.checkin.models import CheckIn
from signage.core.cli import upgrade
from signage.db import get_db
from signage.venues import services as venues

from ..conftest import PG_URL, base_config
from ..helpers import DATA_KEY
from ..live import free_port
from ..pgserver import TempPostgres, temp_postgres

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 2000
PG_TOTAL = 1000  # the same harness, shorter: its own server starts and restarts
CLIENTS = 24
SECRET = "crash-harness-secret-0123456789abcdef0123"
GIVE_UP_SECONDS = 90  # one check-in's retries; the whole run is bounded by it

pytestmark = pytest.mark.slow


def _prepare(url: str, tmp: Path, migrate: bool) -> tuple[str, int]:
    """Migrate (when asked) and make one venue; its (token, id)."""
    app = create_app(base_config(tmp, url))
    if migrate:
        upgrade(app)
    engine = get_db(app).engine
    with Session(engine, expire_on_commit=False) as s:
        org = accounts.create_org(
            s,
            accounts.OrgData(
                name="Chợ Đông Ba",
                kind=OrgKind.BUSINESS,
                province_code=46,
                ward_code=19786,
                address="1 Trần Hưng Đạo",
            ),
        )
        venue = venues.create_venue(
            s, org, venues.VenueData(name="Cổng chợ", address="1", ward_code=19786)
        )
        s.commit()
        token, venue_id = venue.token, venue.id
    engine.dispose()
    return token, venue_id


def _stored(url: str, venue_id: int, tmp: Path) -> list[str]:
    # The app's engine: it holds the data key the phones are encrypted with.
    engine = get_db(create_app(base_config(tmp, url))).engine
    with Session(engine) as s:
        phones = list(
            s.scalars(select(CheckIn.phone).where(CheckIn.venue_id == venue_id))
        )
    engine.dispose()
    return phones


class Server:
    """gunicorn in its own process group, so the master and its workers can be
    killed together like a machine losing the process."""

    def __init__(self, db_url: str, tmp: Path) -> None:
        self.port = free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")},
            "SIGNAGE_ENV": "production",
            "SIGNAGE_SECRET_KEY": SECRET,
            "SIGNAGE_DATA_KEY": DATA_KEY,
            "SIGNAGE_SMTP_URL": "smtp://127.0.0.1:25",
            "SIGNAGE_PUBLIC_BASE_URL": "https://qr.example.vn",
            "SIGNAGE_DATABASE_URL": db_url,
            "SIGNAGE_BIND": f"127.0.0.1:{self.port}",
            "SIGNAGE_WORKERS": "4",
            "SIGNAGE_INSTANCE_PATH": str(tmp / "instance"),
            "SIGNAGE_CHECKIN_LIMIT_PER_IP": "100000 per minute",
            "SIGNAGE_CHECKIN_LIMIT_PER_VENUE": "100000 per minute",
        }
        self.log = tmp / "gunicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).with_name("gunicorn")), "-c",
                 "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 90  # a loaded machine boots slowly
        while _request(self.port, "GET", "/healthz")[0] != 200:
            assert self.proc.poll() is None, self.log.read_text(errors="replace")
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)

    def workers(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True
        ).stdout
        return [int(p) for p in out.split()]

    def kill_all(self) -> None:
        """SIGKILL to the master and every worker at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)


def _request(
    port: int, method: str, path: str, body: str | None = None, cookie: str = ""
) -> tuple[int, Any, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp, resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException):
        # No answer, or one cut short by a killed worker (IncompleteRead): a phone
        # shows no confirmation, so it is not acknowledged.
        return 0, None, ""
    finally:
        conn.close()


@contextmanager
def _server(db_url: str, tmp: Path) -> Iterator[Server]:
    server = Server(db_url, tmp)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _load(
    server: Server, token: str, chaos: list[tuple[int, Any]], total: int = TOTAL
) -> tuple[set[str], Counter[int]]:
    """Post ``total`` check-ins, running each chaos step (after N acknowledgements) in
    a thread of its own; the acknowledged phones and every status seen."""
    status, resp, page = _request(server.port, "GET", f"/C/{token}")
    assert status == 200
    cookie = resp.getheader("Set-Cookie").split(";", 1)[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    acknowledged: set[str] = set()
    seen: Counter[int] = Counter()
    lock = threading.Lock()
    steps_done = threading.Event()

    def post(i: int) -> None:
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
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while time.monotonic() < deadline:
            code = _request(server.port, "POST", f"/C/{token}", body, cookie)[0]
            with lock:
                seen[code] += 1
                if code == 303:
                    acknowledged.add("+84" + phone[1:])
            if code not in (0, 502, 503):
                return
            time.sleep(0.2)

    def run_chaos() -> None:
        for after, step in chaos:
            while len(acknowledged) < after:
                time.sleep(0.02)
            step()
        steps_done.set()

    chaos_thread = threading.Thread(target=run_chaos, daemon=True)
    chaos_thread.start()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(post, range(total)))
    chaos_thread.join(timeout=60)
    assert steps_done.is_set(), "the load ended before every chaos step ran"
    return acknowledged, seen


def _kill_two_workers(server: Server) -> None:
    for pid in server.workers()[:2]:
        os.kill(pid, signal.SIGKILL)


def _restart_everything(server: Server) -> None:
    server.kill_all()
    server.start()


def _check(
    acknowledged: set[str],
    seen: Counter[int],
    stored: list[str],
    log: str,
    total: int = TOTAL,
) -> None:
    print(
        f"statuses {dict(seen)}; {len(acknowledged)} acknowledged, {len(stored)} stored"
    )
    assert seen[500] == 0, seen
    assert len(stored) == len(set(stored)), "a check-in stored twice"
    lost = acknowledged - set(stored)
    assert not lost, f"{len(lost)} acknowledged check-ins lost"
    assert len(acknowledged) == total, seen  # phones retried through it all
    assert "Traceback" not in log


@pytest.mark.sqlite_only
@pytest.mark.skipif(bool(PG_URL), reason="exercises the embedded SQLite file")
def test_kill_9_workers_and_master_loses_no_acknowledged_check_in(db_url, tmp_path):
    token, venue_id = _prepare(db_url, tmp_path, migrate=False)
    with _server(db_url, tmp_path) as server:
        acknowledged, seen = _load(
            server,
            token,
            [
                (400, lambda: _kill_two_workers(server)),
                (900, lambda: _restart_everything(server)),
                (1400, lambda: _kill_two_workers(server)),
            ],
        )
    log = server.log.read_text(errors="replace")
    _check(acknowledged, seen, _stored(db_url, venue_id, tmp_path), log)


@pytest.mark.sqlite_only  # starts a PostgreSQL of its own: once per CI run is enough
@pytest.mark.skipif(bool(PG_URL), reason="runs in the SQLite run, on its own server")
def test_postgresql_restart_mid_load_loses_nothing_and_never_500s(tmp_path):
    with temp_postgres() as pg:
        token, venue_id = _prepare(pg.url, tmp_path, migrate=True)
        with _server(pg.url, tmp_path) as server:
            acknowledged, seen = _load(
                server,
                token,
                [
                    (150, lambda: _kill_two_workers(server)),
                    (350, lambda: _restart_everything(server)),
                    (550, lambda: _restart_pg(pg)),
                ],
                total=PG_TOTAL,
            )
        log = server.log.read_text(errors="replace")
        _check(acknowledged, seen, _stored(pg.url, venue_id, tmp_path), log, PG_TOTAL)
        assert seen[503] > 0, "the restart was not felt: nothing was tested"


def _restart_pg(pg: TempPostgres) -> None:
    pg.restart()
