"""The public path while the portal is busy with jobs (not part of the tests).

    .venv/bin/python bench/jobs.py [--venues 10000] [--rows 1000000] [--rate 20]
                                   [--seconds 20] [--busy-seconds 120]

Builds a throw-away SQLite database (four organisations of --venues venues, one venue
with --rows check-ins, a published 3-slide loop), then starts the `make run` set-up:
`honcho start -f Procfile` (gunicorn with 4 workers and the job consumer, queue in
its own SQLite file). It measures `GET /C/<TOKEN>` and the check-in POST at a steady
--rate requests per second each (a resident's view, not a saturation test):

1. idle, for --seconds;
2. busy: right after queueing, at once, four board batches (one per organisation),
   an XLSX export of the --rows check-ins and a USB export with MP4; measured for
   --busy-seconds or until every job is done, whichever is first.

Prints p50/p99 latency and failed requests for both phases side by side, and each
job's state and time. Everything runs on 127.0.0.1 and is removed afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from checkin import free_port, production_env  # noqa: E402 - the timed bench's own

BIN = Path(sys.executable).parent
PASSWORD = "bench password 0123456789"


def prepare(env: dict[str, str], args: argparse.Namespace) -> dict:
    """Migrate and fill the database in this process (with the bench's settings)."""
    os.environ.update(env)
    from sqlalchemy import insert

    from signage import create_app, db
    from signage.accounts import services as accounts
    from signage.accounts.models import Organisation, OrgKind, Role
    from signage.checkin.models import CheckIn
    from signage.core.cli import upgrade
    from signage.screens import services as screens
    from signage.screens.models import SlideKind
    from signage.venues import services as venues

    app = create_app()
    upgrade(app)
    policy = accounts.HashPolicy(1, 1024)
    out: dict = {"managers": [], "orgs": []}
    with app.app_context():
        s = db.session(write=True)
        # Production prints no board while the campaign is a placeholder: the
        # demo's province settings, with a logo in the instance's storage.
        from signage.campaign import services as campaign
        from signage.demo import CAMPAIGN
        from signage.posters.services import default_logo
        from signage.storage import get_storage

        get_storage(app).put("campaign/logo-bench.png", default_logo())
        campaign.save(s, campaign.clean(CAMPAIGN), logo_key="campaign/logo-bench.png")
        for n in range(4):
            org = accounts.create_org(
                s,
                accounts.OrgData(
                    name=f"Tổ chức {n}",
                    kind=OrgKind.BUSINESS,
                    province_code=46,
                    ward_code=19786,
                    address="1 Lê Lợi",
                ),
            )
            rows = [
                venues.VenueData(name=f"Địa điểm {n}-{i:05d}", address="1 Lê Lợi")
                for i in range(args.venues)
            ]
            venues.create_venues(s, org, rows)
            email = f"manager{n}@example.vn"
            accounts.create_user(
                s,
                email=email,
                password=PASSWORD,
                role=Role.MANAGER,
                organisation_id=org.id,
                policy=policy,
            )
            out["managers"].append(email)
            out["orgs"].append(org.id)
        first = out["orgs"][0]
        big = venues.create_venue(
            s, s.get(Organisation, first), venues.VenueData("Sảnh")
        )
        public = venues.create_venue(s, org, venues.VenueData(name="Quầy công khai"))
        accounts.create_user(
            s, email="editor@example.vn", password=PASSWORD, role=Role.EDITOR,
            policy=policy,
        )  # fmt: skip
        loop = screens.create_loop(s, "Chiến dịch", None)
        for title in ("Cài đặt ứng dụng Huế-S", "Quét mã khi vào", "Cảm ơn"):
            screens.add_slide(
                s,
                loop,
                screens.SlideData(SlideKind.POSTER, title=title, duration_ms=5000),
            )
        s.commit()
        s.expire(loop, ["slides"])
        screens.publish(s, loop, env["SIGNAGE_PUBLIC_BASE_URL"])
        s.commit()
        out.update(token=public.token, big_venue=big.id, loop=loop.id)
        start = datetime.now(UTC) - timedelta(days=1)
        for base in range(0, args.rows, 20_000):
            s.execute(
                insert(CheckIn),
                [
                    {
                        "venue_id": big.id,
                        "public_ref": f"r{i:012d}",
                        "submission_id": f"s{i:012d}",
                        "name": f"Nguyễn Văn {i}",
                        "phone": f"+849{i % 100_000_000:08d}",
                        "phone_hash": f"{i:064d}",
                        "name_hash": f"{i:064d}",
                        "checked_in_at": start + timedelta(microseconds=i),
                        "auto_out_at": start + timedelta(hours=1),
                    }
                    for i in range(base, min(base + 20_000, args.rows))
                ],
            )
            s.commit()
    db.get_db(app).engine.dispose()
    return out


class Client:
    """A browser-like client: keeps its cookies, reads CSRF tokens."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None) -> tuple:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, data, headers)
        resp = conn.getresponse()
        text = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, v = value.split(";", 1)[0].split("=", 1)
                self.cookies[k] = v
        conn.close()
        return resp.status, resp.getheader("Location") or "", text

    def post_form(self, path: str, form_page: str, data: dict) -> tuple:
        """POST like a browser: the CSRF token from the page that shows the form."""
        _s, _l, page = self.request("GET", form_page)
        csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.request("POST", path, {**data, "csrf_token": csrf.decode()})

    def login(self, email: str) -> None:
        _s, _l, page = self.request("GET", "/login")
        csrf = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _l, _p = self.request(
            "POST",
            "/login",
            {"email": email, "password": PASSWORD, "csrf_token": csrf.decode()},
        )
        if status != 302:
            raise SystemExit(f"login failed for {email}: {status}")


def load(port: int, token: str, rate: float, seconds: float, stop: threading.Event):
    """GET /C/<TOKEN> and POST it, each at ``rate`` per second, from 4 threads each;
    returns {name: (latencies_ms, failures)}."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"/C/{token}")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = (resp.getheader("Set-Cookie") or "").split(";", 1)[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    conn.close()
    results: dict[str, tuple[list[float], list[int]]] = {
        "GET /C/<TOKEN>": ([], []),
        "POST /C/<TOKEN>": ([], []),
    }
    counter = iter(range(10**9))
    lock = threading.Lock()
    per_thread = rate / 4
    end = time.monotonic() + seconds

    def worker(name: str, n: int) -> None:
        lat, bad = results[name]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.monotonic() + n / rate
        i = 0
        while not stop.is_set():
            due = t0 + i / per_thread
            if due > end:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            i += 1
            with lock:
                k = next(counter)
            started = time.perf_counter()
            try:
                if name.startswith("GET"):
                    c.request("GET", f"/C/{token}")
                    ok = 200
                else:
                    body = urllib.parse.urlencode(
                        {
                            "csrf_token": csrf,
                            "submission_id": f"bench{n}{k:016d}x",
                            "name": f"Khách {k}",
                            "phone": f"09{n}{k % 10**7:07d}",
                            "consent": "y",
                        }
                    )
                    c.request(
                        "POST",
                        f"/C/{token}",
                        body,
                        {
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Cookie": cookie,
                        },
                    )
                    ok = 303
                r = c.getresponse()
                r.read()
                status = r.status
            except OSError:
                status = 0
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            lat.append((time.perf_counter() - started) * 1000)
            if status != ok:
                bad.append(status)

    threads = [
        threading.Thread(target=worker, args=(name, n))
        for name in results
        for n in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("server did not start")


def job_state(client: Client, job_id: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=30)
    headers = {
        "Accept": "application/json",
        "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items()),
    }
    conn.request("GET", f"/jobs/{job_id}", headers=headers)
    data = json.loads(conn.getresponse().read())
    conn.close()
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venues", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--busy-seconds", type=float, default=120.0)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="signage-jobs-bench-"))
    port = free_port()
    env = {
        **production_env(tmp),
        "SIGNAGE_JOBS_URL": f"sqlite:///{tmp / 'queue.db'}",
        "SIGNAGE_STORAGE_DIR": str(tmp / "files"),
        "SIGNAGE_SCREENS_MEDIA_DIR": str(tmp / "media"),
        "SIGNAGE_SCREENS_RENDER_DIR": str(tmp / "renders"),
        "SIGNAGE_BIND": f"127.0.0.1:{port}",
        "SIGNAGE_LOGIN_LIMIT_PER_IP": "1000 per minute",
        "SIGNAGE_ARGON2_TIME_COST": "1",
        "SIGNAGE_ARGON2_MEMORY_COST": "1024",
    }
    started = time.monotonic()
    data = prepare(env, args)
    print(f"data ready in {time.monotonic() - started:.0f} s", flush=True)
    full_env = {**os.environ, **env}
    with (tmp / "honcho.log").open("ab") as log:
        server = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile"],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(port)
        stop = threading.Event()
        load(port, data["token"], args.rate, 3, stop)  # warm-up: every worker's first
        idle = load(port, data["token"], args.rate, args.seconds, stop)

        jobs: list[tuple[str, Client, str]] = []
        requests: list[tuple[str, Client, str, str]] = []
        for n, (email, org_id) in enumerate(
            zip(data["managers"], data["orgs"], strict=True)
        ):
            c = Client(port)
            c.login(email)
            requests.append(
                (f"boards org {n}", c, f"/orgs/{org_id}/boards.pdf", f"/orgs/{org_id}/")
            )
        requests.append(
            (
                f"xlsx {args.rows} rows",
                requests[0][1],
                f"/orgs/{data['orgs'][0]}/venues/{data['big_venue']}/checkins.xlsx",
                # An export asks why first: its page is the form.
                f"/orgs/{data['orgs'][0]}/venues/{data['big_venue']}/checkins.xlsx",
            )
        )
        editor = Client(port)
        editor.login("editor@example.vn")
        requests.append(
            (
                "usb zip+mp4",
                editor,
                f"/screens/loops/{data['loop']}/export",
                # The export form's POST (never a link a prefetch could follow).
                f"/screens/loops/{data['loop']}/export",
            )
        )
        busy_start = time.monotonic()
        answer_ms = []
        for name, c, path, form_page in requests:
            t = time.perf_counter()
            if form_page:  # a button in a form: POST with the page's CSRF token
                fields: dict[str, str] = (
                    {"reason": "bench/jobs.py"}
                    if path.endswith(".xlsx")
                    else {"size": "1920x1080", "video": "1"}
                    if path.endswith("/export")
                    else {"size": "a4"}
                )
                status, location, _b = c.post_form(path, form_page, fields)
            else:
                status, location, _b = c.request("GET", path)
            answer_ms.append((time.perf_counter() - t) * 1000)
            if status != 302 or "/jobs/" not in location:
                raise SystemExit(f"{name}: expected a redirect to a job, got {status}")
            jobs.append((name, c, location.rsplit("/", 1)[-1]))

        finished: dict[str, float] = {}

        def watch() -> None:
            while not stop.is_set() and len(finished) < len(jobs):
                for name, c, job_id in jobs:
                    if name not in finished:
                        st = job_state(c, job_id)
                        if st["state"] not in ("queued", "running"):
                            finished[name] = time.monotonic() - busy_start
                if len(finished) == len(jobs):
                    stop.set()
                stop.wait(2)

        watcher = threading.Thread(target=watch)
        watcher.start()
        busy = load(port, data["token"], args.rate, args.busy_seconds, stop)
        busy_s = time.monotonic() - busy_start
        stop.set()
        watcher.join()
        states = {name: job_state(c, job_id) for name, c, job_id in jobs}
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    print(
        f"\nmake run set-up (honcho: gunicorn 4 workers + job consumer, SQLite), "
        f"{args.rate:g} req/s each of GET and POST"
    )
    print(
        f"jobs queued: answers {statistics.median(answer_ms):.0f} ms median, "
        f"{max(answer_ms):.0f} ms max"
    )
    print(f"{'':<18}{'idle p50':>10}{'idle p99':>10}{'busy p50':>10}{'busy p99':>10}"
          f"{'idle err':>10}{'busy err':>10}{'n busy':>8}")  # fmt: skip
    for name in idle:
        il, ib = idle[name]
        bl, bb = busy[name]
        print(
            f"{name:<18}{pct(il, 50):>10.1f}{pct(il, 99):>10.1f}"
            f"{pct(bl, 50):>10.1f}{pct(bl, 99):>10.1f}{len(ib):>10}{len(bb):>10}"
            f"{len(bl):>8}"
        )
    print(f"busy phase: {busy_s:.0f} s")
    for name, st in states.items():
        took = f"{finished[name]:.0f} s" if name in finished else "not finished"
        print(f"  {name:<22}{st['state']:<10}{st['done']:>8}/{st['total']:<8} {took}")
        if st.get("error"):
            print(f"    {st['error']}")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
