"""Instructions per request of the public path, counted by callgrind (not part of the
tests).

    .venv/bin/python bench/instructions.py [--requests 200]

bench/checkin.py measures time under gunicorn, which on a shared 2-core machine
swings from run to run. This counts what does not swing: the user-space instructions
the app executes per request, in-process (the WSGI call, no server, no socket), with
valgrind's callgrind switched on only around the measured requests. It prints each
path's count and its ratio to Flask's bare hello (bench/bare.py), for:

- ``bare hello``, ``GET /healthz``, ``GET /C/<TOKEN>``, and ``bare scan`` (a bare
  Flask app doing the scan page's I/O, bench/bare.py: its floor);
- ``POST /C/<TOKEN>`` (a new phone number and submission id on every request, so
  each writes a row) and ``POST clear``, the same app without encryption at rest
  (bench/clear.py): what encrypting names and phone numbers adds to the POST.

System calls (the SQLite file's locks and writes, the socket) are not instructions
the app runs and are not counted: compare a change's effect here, then confirm with
bench/checkin.py on an idle machine. Needs valgrind (`apt-get install valgrind`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGETS = (
    "bare hello",
    "bare scan",
    "GET /healthz",
    "GET /C/<TOKEN>",
    "POST /C/<TOKEN>",
    "POST clear",
)
WARM_UP = 30


def _child(target: str, requests: int, config: dict[str, Any]) -> None:
    """Run under callgrind: build the app, warm up, count ``requests`` requests."""
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    os.chdir(ROOT)
    os.environ.update(config["env"])
    from werkzeug.test import EnvironBuilder

    if target == "bare hello":
        import bare

        app: Any = bare.hello
    elif target == "bare scan":
        os.environ["BENCH_BARE_DB"] = config["bare_db"]
        os.environ["BENCH_BARE_PAGE"] = config["bare_page"]
        import bare

        app = bare.scan
    elif target == "POST clear":
        os.environ["BENCH_CLEAR_DB"] = config["clear_db"]
        from clear import app
    else:
        from wsgi import app

    token = config["token"]
    base = "https://qr.example.vn"
    counter = 0

    def environ() -> dict[str, Any]:
        nonlocal counter
        if target == "bare hello":
            return EnvironBuilder(path="/", base_url=base).get_environ()
        if target == "GET /healthz":
            return EnvironBuilder(path="/healthz", base_url=base).get_environ()
        if target in ("GET /C/<TOKEN>", "bare scan"):
            return EnvironBuilder(path=f"/C/{token}", base_url=base).get_environ()
        counter += 1
        return EnvironBuilder(
            path=f"/C/{token}",
            method="POST",
            base_url=base,
            headers={"Cookie": config["cookie"]},
            data={
                "csrf_token": config["csrf"],
                "submission_id": f"bench{os.getpid()}x{counter:012d}",
                "name": f"Khách {counter}",
                "phone": f"09{os.getpid() % 100:02d}{counter:06d}",
                "consent": "y",
            },
        ).get_environ()

    def call(env: dict[str, Any]) -> None:
        status: list[str] = []
        body = app(env, lambda s, h, e=None: status.append(s))
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
        if not status or status[0][0] not in "23":
            raise SystemExit(f"{target}: {status}")

    for _ in range(WARM_UP):
        call(environ())
    # Each request's environ is built before counting starts: only the app runs.
    envs = [environ() for _ in range(requests)]
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True)
    for env in envs:
        call(env)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True)


def _count(target: str, requests: int, config_path: Path, tmp: Path) -> int:
    out = tmp / "callgrind.out"
    subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            __file__,
            "--child",
            target,
            "--requests",
            str(requests),
            "--config",
            str(config_path),
        ],
        check=True,
        capture_output=True,
    )
    match = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
    out.unlink()
    if match is None:
        raise SystemExit(f"{target}: callgrind counted nothing")
    return int(match.group(1)) // requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--child")
    parser.add_argument("--config")
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.requests, json.loads(Path(args.config).read_text()))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is missing: apt-get install valgrind")

    sys.path.insert(0, str(ROOT / "bench"))
    import checkin  # the same database set-up and scan form as the timed bench

    tmp = Path(tempfile.mkdtemp(prefix="signage-instructions-"))
    try:
        env = checkin.production_env(tmp)
        full_env = {**os.environ, **env}
        token = checkin.prepare(full_env)
        # Through SQLite's backup API: the venue may still be in the WAL.
        for copy in ("clear.db", "bare.db"):
            with (
                contextlib.closing(sqlite3.connect(tmp / "bench.db")) as src,
                contextlib.closing(sqlite3.connect(tmp / copy)) as dst,
            ):
                src.backup(dst)
        csrf, cookie = checkin.scan_form(full_env, token)
        checkin.bare_scan_page(full_env, token, tmp / "page.json")
        config_path = tmp / "config.json"
        config_path.write_text(
            json.dumps(
                {
                    "env": env,
                    "token": token,
                    "csrf": csrf,
                    "cookie": cookie,
                    "clear_db": str(tmp / "clear.db"),
                    "bare_db": str(tmp / "bare.db"),
                    "bare_page": str(tmp / "page.json"),
                }
            )
        )
        counts: dict[str, int] = {}
        for target in TARGETS:
            print(f"counting {target} ...", file=sys.stderr, flush=True)
            counts[target] = _count(target, args.requests, config_path, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    hello = counts["bare hello"]
    print(f"instructions per request (callgrind, in-process, {args.requests} requests)")
    print(f"{'path':<18}{'instructions':>14}{'hello / this':>14}")
    for target, n in counts.items():
        print(f"{target:<18}{n:>14,}{hello / n:>14.2f}")
    floor = counts["bare scan"] / counts["GET /C/<TOKEN>"]
    print(f"bare scan / GET /C/<TOKEN>: {floor:.2f} (what signage adds to the page)")
    enc, clear = counts["POST /C/<TOKEN>"], counts["POST clear"]
    print(
        f"encryption at rest on the POST: {enc - clear:+,} instructions "
        f"({enc / clear - 1:+.1%})"
    )


if __name__ == "__main__":
    main()
