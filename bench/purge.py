"""The retention purge against live check-ins: POST latency while 300,000 rows go.

    .venv/bin/python bench/purge.py [--rows 300000] [--rate 40] [--idle 20]
        [--max-seconds 420]

Builds a fresh SQLite database in a temporary directory (migrations, one venue, then
``--rows`` check-ins 40 days old by Core executemany, counted into the rollups as the
every-minute refresh would have), serves it with the README's production command
(`gunicorn -c gunicorn.conf.py wsgi:app` on 127.0.0.1, as bench/checkin.py does) and
posts check-ins at a fixed rate (``--rate`` per second, open loop: a stalled request
does not slow the others down, as with residents) with a valid form token, a new phone
and submission id each time. It measures the POST's p50/p99/max:

1. for ``--idle`` seconds with nothing else running (the baseline);
2. while `flask --app wsgi checkins purge` deletes the old rows (each batch's write
   lock is measured by the purge itself and printed: the longest and the p99).

Target: p99 <= 100 ms during the purge, every batch's lock <= 50 ms. Bounded: the
load stops when the purge ends or after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from checkin import (  # noqa: E402
    BIN,
    ROOT,
    free_port,
    prepare,
    production_env,
    scan_form,
    wait_ready,
)


def bulk_old(env: dict[str, str], rows: int) -> None:
    """``rows`` check-ins 40 days old at the bench venue, then the rollups refresh."""
    code = f"""
from datetime import UTC, datetime, timedelta
from sqlalchemy import insert
from signage import create_app
from signage.checkin.models import CheckIn
from signage.db import get_db
from signage.reports import rollups
app = create_app()
engine = get_db(app).engine
at = datetime.now(UTC) - timedelta(days=40)
for lo in range(0, {rows}, 50_000):
    with engine.begin() as conn:
        conn.execute(insert(CheckIn.__table__), [
            {{"venue_id": 1, "public_ref": f"old{{i:012d}}",
              "submission_id": f"old{{i:012d}}", "name": "Khách",
              "phone": f"+849{{i % 10**8:08d}}", "phone_hash": f"{{i:064x}}",
              "name_hash": f"{{i:064x}}",
              "checked_in_at": at + timedelta(seconds=i % 86400),
              "auto_out_at": at + timedelta(hours=1)}}
            for i in range(lo, min(lo + 50_000, {rows}))])
with app.app_context():
    rollups.rebuild(get_db(app).write)
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


class Load:
    """Fixed-rate POSTs from a few threads (each with its own keep-alive
    connection); latencies are recorded with the phase they fell in."""

    def __init__(self, port: int, token: str, rate: float, threads: int = 4) -> None:
        self.port, self.token = port, token
        self.form = ("", "")  # the scan form's token and key cookie (scan_form)
        self.interval = threads / rate
        self.phase = "idle"
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self.run, args=(i,), daemon=True)
            for i in range(threads)
        ]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def run(self, n: int) -> None:
        csrf, cookie = self.form
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        rnd = random.Random(n)
        counter = 0
        next_at = time.monotonic() + rnd.random() * self.interval
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_at += self.interval
            counter += 1
            body = urllib.parse.urlencode(
                {
                    "csrf_token": csrf,
                    "submission_id": f"{n}x{counter}x{rnd.random():.12f}",
                    "name": f"Khách {counter}",
                    "phone": f"09{n}{counter:07d}",
                    "consent": "y",
                }
            )
            phase = self.phase
            t0 = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    f"/C/{self.token}",
                    body,
                    {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Cookie": cookie,
                    },
                )
                resp = conn.getresponse()
                resp.read()
                ok = resp.status in (200, 303)
            except OSError:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                ok = False
            ms = (time.perf_counter() - t0) * 1000
            with self.lock:
                self.samples.setdefault(phase, []).append(ms)
                if not ok:
                    self.errors[phase] = self.errors.get(phase, 0) + 1


def summary(values: list[float]) -> tuple[str, float]:
    if not values:
        return "no requests", float("inf")
    ordered = sorted(values)
    p99 = ordered[min(int(len(ordered) * 0.99), len(ordered) - 1)]
    return (
        f"{len(values):>6} requests  p50 {statistics.median(values):6.1f} ms  "
        f"p99 {p99:6.1f} ms  max {ordered[-1]:7.1f} ms"
    ), p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rate", type=float, default=40.0, help="POSTs per second")
    parser.add_argument("--idle", type=int, default=20, help="baseline seconds")
    parser.add_argument("--max-seconds", type=int, default=420)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="signage-purge-"))
    port = free_port()
    env = {
        **os.environ,
        **production_env(tmp),
        "SIGNAGE_BIND": f"127.0.0.1:{port}",
        "SIGNAGE_WORKERS": str(args.workers),
    }
    server = None
    try:
        token = prepare(env)
        t0 = time.perf_counter()
        bulk_old(env, args.rows)
        print(
            f"{args.rows:,} check-ins 40 days old, rollups counted, in "
            f"{time.perf_counter() - t0:.0f} s"
        )
        with (tmp / "gunicorn.log").open("ab") as log:
            server = subprocess.Popen(
                [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_ready(port, "/healthz")
        load = Load(port, token, args.rate)
        load.form = scan_form(env, token)
        load.start()
        time.sleep(args.idle)
        load.phase = "purge"
        started = time.perf_counter()
        purge = subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "checkins", "purge"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            out, _ = purge.communicate(timeout=args.max_seconds)
        except subprocess.TimeoutExpired:
            purge.send_signal(signal.SIGINT)
            out, _ = purge.communicate(timeout=30)
            out += "\n(stopped: --max-seconds reached)"
        took = time.perf_counter() - started
        load.phase = "after"
        time.sleep(1)
        load.join()
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    print(
        f"gunicorn {args.workers} workers on 127.0.0.1, {args.rate:.0f} check-in "
        f"POSTs/s (open loop), SQLite WAL; load average {os.getloadavg()[0]:.1f}"
    )
    print(out.strip())
    print(f"purge took {took:.1f} s")
    idle_line, _idle_p99 = summary(load.samples.get("idle", []))
    purge_line, purge_p99 = summary(load.samples.get("purge", []))
    print(f"POST idle:         {idle_line}  errors {load.errors.get('idle', 0)}")
    print(f"POST during purge: {purge_line}  errors {load.errors.get('purge', 0)}")
    hold = re.search(r"longest write lock (\d+) ms", out)
    longest = int(hold.group(1)) if hold else None
    targets = {
        "POST p99 <= 100 ms during the purge": purge_p99 <= 100,
        "no failed POST": not any(load.errors.values()),
        "each purge batch holds the lock <= 50 ms": longest is not None
        and longest <= 50,
    }
    for name, ok in targets.items():
        print(f"  {'met ' if ok else 'MISS'} {name}")


if __name__ == "__main__":
    main()
