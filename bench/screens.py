"""Screens benchmark (not part of the test run; numbers are noisy, read the ratios).

1. Cold render of each demo slide at 1920x1080 (Pillow + JPEG encode), in ms.
2. Cached render: the content-hash lookup and read of an already rendered slide, in ms.
3. Manifest polling under gunicorn: requests/s of GET /play/api/manifest answered 304
   (a screen that already has the current version, the steady state of every screen)
   against GET /healthz (one SELECT 1), measured side by side in the same run.
   Target ratio >= 0.7: 10,000 screens polling every 30 s are 333 requests/s.

Run: .venv/bin/python bench/screens.py [--seconds 5] [--clients 4]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(tmp: Path) -> tuple[str, str, list[dict]]:
    """Migrated SQLite database with the demo data, one screen paired; -> url, key."""
    from signage import create_app
    from signage.core.cli import upgrade
    from signage.db import get_db
    from signage.screens import demo, devices
    from signage.screens.models import LoopVersion

    url = f"sqlite:///{tmp / 'bench.db'}"
    app = create_app({"ENV": "development", "DATABASE_URL": url})
    app.instance_path = str(tmp / "instance")
    upgrade(app)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        from signage import db

        s = db.session(write=True)
        loop = demo.load(s, app.config["PUBLIC_BASE_URL"])
        code, key = devices.start_pairing(s, 30)
        devices.pair(s, code, devices.ScreenData("Bench", loop.id, 1920, 1080), None)
        slides = s.query(LoopVersion).filter_by(loop_id=loop.id).one().slides
        s.commit()
    get_db(app).engine.dispose()
    return url, key, slides


def bench_render(slides: list[dict], tmp: Path) -> None:
    from signage.screens.renders import cached_render, spec_from_snapshot

    media = tmp / "instance" / "media"
    print("render at 1920x1080 (target: cold <= 80 ms, cached <= 2 ms)")
    for snap in slides:
        spec = spec_from_snapshot(snap, media)
        cold = []
        for i in range(5):
            cache = tmp / f"cold{snap['id']}-{i}"
            t = time.perf_counter()
            cached_render(cache, spec, 1920, 1080, "jpg")
            cold.append((time.perf_counter() - t) * 1000)
        warm = []
        for _ in range(200):
            t = time.perf_counter()
            cached_render(cache, spec, 1920, 1080, "jpg").read_bytes()
            warm.append((time.perf_counter() - t) * 1000)
        label = (snap.get("title") or snap["kind"])[:32]
        print(
            f"  {label:34} cold {statistics.median(cold):6.1f} ms   "
            f"cached {statistics.median(warm):5.2f} ms"
        )


def bench_cached_http(url: str, key: str, tmp: Path) -> None:
    """A cached slide served through the app (routing, file response), in ms."""
    from signage import create_app
    from signage.db import get_db

    app = create_app({"ENV": "development", "DATABASE_URL": url})
    app.instance_path = str(tmp / "instance")
    client = app.test_client()
    manifest = client.get(
        "/play/api/manifest", headers={"Authorization": f"Bearer {key}"}
    ).get_json()
    src = manifest["slides"][0]["src"]
    times = []
    for _ in range(200):
        t = time.perf_counter()
        resp = client.get(src)
        resp.get_data()
        resp.close()
        times.append((time.perf_counter() - t) * 1000)
    get_db(app).engine.dispose()
    print(
        f"  cached slide through the app (GET {src[:24]}…): "
        f"{statistics.median(times):.2f} ms median"
    )


def _client(port: int, path: str, headers: dict, seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    n = 0
    statuses: dict[int, int] = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
        n += 1
    conn.close()
    out.put((n, statuses))


def load(port: int, path: str, headers: dict, seconds: float, clients: int) -> float:
    q: mp.Queue = mp.Queue()
    procs = [
        mp.Process(target=_client, args=(port, path, headers, seconds, q))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [q.get() for _ in procs]
    for p in procs:
        p.join()
    total = sum(n for n, _s in results)
    statuses: dict[int, int] = {}
    for _n, st in results:
        for k, v in st.items():
            statuses[k] = statuses.get(k, 0) + v
    print(f"    {path:22} {total / seconds:8.0f} req/s  statuses {statuses}")
    return total / seconds


def bench_http(url: str, key: str, tmp: Path, seconds: float, clients: int) -> None:
    from tests.live import free_port

    port = free_port()
    env = {
        **os.environ,
        "SIGNAGE_ENV": "development",
        "SIGNAGE_DATABASE_URL": url,
        "SIGNAGE_BIND": f"127.0.0.1:{port}",
        "SIGNAGE_WORKERS": "2",
        "SIGNAGE_ACCESS_LOG": "/dev/null",
    }
    # --max-requests 0: gunicorn's worker recycling (every ~20,000 requests in
    # gunicorn.conf.py) would otherwise restart a worker inside a measurement.
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--max-requests",
            "0",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        auth = {"Authorization": f"Bearer {key}"}
        deadline = time.monotonic() + 20
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/play/api/manifest", headers=auth)
                r = c.getresponse()
                r.read()
                etag = r.headers["ETag"]
                break
            except (OSError, KeyError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        print(
            f"gunicorn.conf.py with 2 workers "
            f"({os.environ.get('SIGNAGE_WORKER_CLASS', 'sync')}), {clients} clients, "
            f"{seconds:g} s each"
        )
        polled = {**auth, "If-None-Match": etag}
        # Warm both paths in every worker first (imports, pools, caches).
        load(port, "/healthz", {}, 1, clients)
        load(port, "/play/api/manifest", polled, 1, clients)
        health, manifest = [], []
        for _round in range(2):
            health.append(load(port, "/healthz", {}, seconds, clients))
            manifest.append(load(port, "/play/api/manifest", polled, seconds, clients))
        ratio = sum(manifest) / sum(health)
        print(f"  manifest 304 / healthz = {ratio:.2f} (target >= 0.7)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        url, key, slides = setup(tmp)
        bench_render(slides, tmp)
        bench_cached_http(url, key, tmp)
        bench_http(url, key, tmp, args.seconds, args.clients)


if __name__ == "__main__":
    main()
