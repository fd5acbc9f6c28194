"""The documented limits, held by the production server: gunicorn, 4 workers.

Requests are sent a fifth over each figure, several at a time so every worker takes
some, from distinct loopback addresses (127.0.0.x: real client addresses, no proxy
header); the accepted count must be within 10 % of the figure. Run with the default
settings (the SQLite counter file in the instance folder) and with Redis
(SIGNAGE_TEST_REDIS_URL); with Redis configured but down, check-ins and logins still
answer as usual, never 500. Each server gets a random SECRET_KEY, which keys the
hashed counter keys, so runs never see each other's counters.
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
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest

from signage.accounts.models import Role

from ..helpers import DATA_KEY
from ..live import free_port
from .conftest import REDIS_URL, needs_redis

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
# The documented figures (signage/config.py defaults; README "Rate limits").
CHECKIN_PER_IP, CHECKIN_PER_VENUE = 300, 600
LOGIN_PER_ACCOUNT, LOGIN_PER_IP = 10, 60

pytestmark = pytest.mark.slow


@contextmanager
def gunicorn(db_url: str, log: Path, workers: int = 4, **env: str) -> Iterator[int]:
    port = free_port()
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SIGNAGE_") or k.startswith("SIGNAGE_TEST_")
    }
    environ.update(
        SIGNAGE_ENV="production",
        SIGNAGE_SECRET_KEY=env.pop("SIGNAGE_SECRET_KEY", secrets.token_hex(24)),
        SIGNAGE_DATA_KEY=env.pop("SIGNAGE_DATA_KEY", DATA_KEY),
        SIGNAGE_PUBLIC_BASE_URL="https://qr.example.vn",
        SIGNAGE_SMTP_URL="smtp://127.0.0.1:25",
        SIGNAGE_DATABASE_URL=db_url,
        SIGNAGE_BIND=f"127.0.0.1:{port}",
        SIGNAGE_WORKERS=str(workers),
        # Cheap password hashes: logins here measure counting, not argon2.
        SIGNAGE_ARGON2_TIME_COST="1",
        SIGNAGE_ARGON2_MEMORY_COST="1024",
        **env,
    )
    binary = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [binary, "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90  # a loaded CI machine boots slowly
        while _status(port, "GET", "/healthz")[0] != 200:
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _status(
    port: int,
    method: str,
    path: str,
    body: dict[str, str] | None = None,
    cookie: str = "",
    source: str = "127.0.0.1",
) -> tuple[int, str, str]:
    """(status, Set-Cookie, body) of one request from a loopback address."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0)
    )
    headers = {"Cookie": cookie} if cookie else {}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(
            method, path, body=urlencode(body) if body else None, headers=headers
        )
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
        return resp.status, resp.getheader("Set-Cookie") or "", text
    except OSError:
        return 0, "", ""
    finally:
        conn.close()


def _form(port: int, path: str, source: str) -> tuple[str, dict[str, str]]:
    """GET a form like a browser: its cookie and hidden fields."""
    status, set_cookie, page = _status(port, "GET", path, source=source)
    assert status == 200, status
    hidden = dict(
        re.findall(
            r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page
        )
    )
    hidden.update(
        re.findall(
            r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', page
        )
    )
    assert "csrf_token" in hidden, page[:500]
    return set_cookie.split(";", 1)[0], hidden


def checkins(
    port: int | list[int], token: str, sources: list[str], each: int
) -> Counter[int]:
    """`each` check-ins (distinct phones) from every source address, sent to the
    servers in turn when given several ports; status counts."""
    ports = port if isinstance(port, list) else [port]
    forms = {s: _form(ports[0], f"/C/{token}", s) for s in sources}
    jobs = [(s, i) for s in sources for i in range(each)]

    def post(job: tuple[str, int]) -> int:
        source, i = job
        cookie, hidden = forms[source]
        body = {
            **hidden,
            "submission_id": secrets.token_urlsafe(16),
            "name": "Khách Thử",
            "phone": f"09{sources.index(source)}{i:07d}",
            "consent": "y",
        }
        to = ports[i % len(ports)]
        return _status(to, "POST", f"/C/{token}", body, cookie, source)[0]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(pool.map(post, jobs))


def logins(port: int | list[int], emails: list[str], source: str) -> Counter[int]:
    """One wrong-password login per e-mail (repeat one to hit one account), sent to
    the servers in turn when given several ports (one secret: one login form)."""
    ports = port if isinstance(port, list) else [port]
    cookie, hidden = _form(ports[0], "/login", source)

    def post(job: tuple[int, str]) -> int:
        i, email = job
        body = {**hidden, "email": email, "password": "wrong password"}
        return _status(ports[i % len(ports)], "POST", "/login", body, cookie, source)[0]

    with ThreadPoolExecutor(CLIENTS) as pool:
        return Counter(pool.map(post, enumerate(emails)))


def _within(accepted: int, figure: int) -> bool:
    return abs(accepted - figure) <= figure * 0.1


@pytest.mark.parametrize(
    "storage",
    [
        "default",
        pytest.param("redis", marks=needs_redis),
    ],
)
def test_documented_limits_hold_across_four_workers(
    storage, db_url, make_venue, make_user, tmp_path
):
    env = {"SIGNAGE_RATELIMIT_STORAGE_URI": REDIS_URL} if storage == "redis" else {}
    boards = [make_venue() for _ in range(4)]
    user = make_user(role=Role.ADMIN)
    with gunicorn(db_url, tmp_path / "gunicorn.log", **env) as port:
        started = time.monotonic()
        # One address, spread over 4 boards (90 each, under the per-board figure).
        per_ip = Counter[int]()
        for board in boards:
            per_ip += checkins(
                port, board.token, ["127.0.0.2"], CHECKIN_PER_IP * 3 // 10
            )
        # One board (the first, already at 90), from 4 other addresses.
        many = [f"127.0.0.{n}" for n in range(3, 7)]
        rest = CHECKIN_PER_VENUE * 6 // 5 - CHECKIN_PER_IP * 3 // 10
        per_venue = checkins(port, boards[0].token, many, rest // len(many))
        per_venue[303] += CHECKIN_PER_IP * 3 // 10
        took = time.monotonic() - started
        account = logins(port, [user.email] * (LOGIN_PER_ACCOUNT * 6 // 5), "127.0.0.7")
        unknown = [f"u{i}@example.vn" for i in range(LOGIN_PER_IP * 6 // 5)]
        address = logins(port, unknown, "127.0.0.8")
    print(f"{storage}: check-ins took {took:.1f}s")
    counts = {
        "check-ins, one address": (per_ip, 303, CHECKIN_PER_IP),
        "check-ins, one board": (per_venue, 303, CHECKIN_PER_VENUE),
        "failed logins, one account": (account, 422, LOGIN_PER_ACCOUNT),
        "failed logins, one address": (address, 422, LOGIN_PER_IP),
    }
    for what, (statuses, ok, figure) in counts.items():
        print(f"{storage}: {what}: {statuses[ok]} accepted of {figure} documented")
        assert set(statuses) <= {ok, 429}, (what, statuses)
        assert _within(statuses[ok], figure), (what, statuses)
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in log and "rate-limit storage failed" not in log


@needs_redis
def test_two_hosts_on_one_redis_hold_one_figure(
    db_url, make_venue, make_user, tmp_path
):
    """Two servers (think two hosts behind a load balancer, here on one machine with
    2 workers each) counting in one Redis: one address's check-ins, and the failed
    logins of one account and of one address, sent to both in turn, are held to the
    one documented figure, not twice it."""
    boards = [make_venue() for _ in range(4)]
    user = make_user(role=Role.ADMIN)
    env = {
        "SIGNAGE_RATELIMIT_STORAGE_URI": REDIS_URL,
        "SIGNAGE_SECRET_KEY": secrets.token_hex(24),  # one deployment, one secret
    }
    with (
        gunicorn(db_url, tmp_path / "a.log", workers=2, **env) as host_a,
        gunicorn(db_url, tmp_path / "b.log", workers=2, **env) as host_b,
    ):
        statuses = Counter[int]()
        for board in boards:
            statuses += checkins(
                [host_a, host_b], board.token, ["127.0.0.10"], CHECKIN_PER_IP * 3 // 10
            )
        both = [host_a, host_b]
        account = logins(
            both, [user.email] * (LOGIN_PER_ACCOUNT * 6 // 5), "127.0.0.11"
        )
        unknown = [f"h{i}@example.vn" for i in range(LOGIN_PER_IP * 6 // 5)]
        address = logins(both, unknown, "127.0.0.12")
    counts = {
        "check-ins, one address": (statuses, 303, CHECKIN_PER_IP),
        "failed logins, one account": (account, 422, LOGIN_PER_ACCOUNT),
        "failed logins, one address": (address, 422, LOGIN_PER_IP),
    }
    for what, (got, ok, figure) in counts.items():
        print(f"two hosts: {what}: {got[ok]} accepted of {figure} documented")
        assert set(got) <= {ok, 429}, (what, got)
        assert _within(got[ok], figure), (what, got)


def test_redis_down_still_checks_in_and_logs_in(
    db_url, make_venue, make_user, tmp_path, closed_port
):
    venue, user = make_venue(), make_user(role=Role.ADMIN)
    log = tmp_path / "gunicorn.log"
    redis_down = f"redis://127.0.0.1:{closed_port}/0"
    with gunicorn(db_url, log, SIGNAGE_RATELIMIT_STORAGE_URI=redis_down) as port:
        door = checkins(port, venue.token, ["127.0.0.9"], 12)
        wrong = logins(port, [user.email] * 3, "127.0.0.9")
        cookie, hidden = _form(port, "/login", "127.0.0.9")
        body = {**hidden, "email": user.email, "password": "correct horse battery"}
        right = _status(port, "POST", "/login", body, cookie, "127.0.0.9")[0]
    assert door == Counter({303: 12})
    assert wrong == Counter({422: 3}) and right == 302
    output = log.read_text(errors="replace")
    assert "rate-limit storage failed" in output
    assert " 500 " not in output and "Traceback" not in output
    assert "127.0.0.9" not in output and "0900000000" not in output
    assert user.email not in output and "Khách" not in output
