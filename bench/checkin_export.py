"""How a large check-in export behaves: rows out vs rows stored, time, peak memory.

    .venv/bin/python bench/checkin_export.py [--rows 1000000] [--format csv|xlsx]

Fills a throw-away SQLite database with ROWS check-ins at one venue (one executemany
per 10,000 rows), then streams the venue's export through the app as a manager would
download it and counts the rows that come out. Prints rows stored and exported,
seconds, bytes, and the exporting process's peak memory (ru_maxrss) before and after:
a streamed export keeps that flat whatever the row count.
"""

from __future__ import annotations

import argparse
import io
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from signage import create_app, db  # noqa: E402
from signage.accounts import services as accounts  # noqa: E402
from signage.accounts.models import OrgKind, Role  # noqa: E402
from signage.checkin.models import CheckIn  # noqa: E402
from signage.core.cli import upgrade  # noqa: E402
from signage.venues import services as venues  # noqa: E402
from signage.venues.models import Venue  # noqa: E402

PASSWORD = "bench password 123"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--export-from", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_from:
        export(args.export_from, args.format)
        return
    tmp = Path(tempfile.mkdtemp(prefix="signage-export-"))
    url = f"sqlite:///{tmp / 'export.db'}"
    app = make_app(url)
    upgrade(app)
    with app.app_context():
        s = db.session(write=True)
        org = accounts.create_org(
            s,
            accounts.OrgData(
                name="Bench", kind=OrgKind.BUSINESS, province_code=46, ward_code=19786
            ),
        )
        venue = venues.create_venue(s, org, venues.VenueData(name="Sảnh chính"))
        accounts.create_user(
            s,
            email="bench@example.vn",
            password=PASSWORD,
            role=Role.MANAGER,
            organisation_id=org.id,
            policy=accounts.HashPolicy(1, 1024),
        )
        s.commit()
        start = datetime.now(UTC) - timedelta(days=1)
        for base in range(0, args.rows, 10_000):
            s.execute(
                insert(CheckIn),
                [
                    {
                        "venue_id": venue.id,
                        "public_ref": f"r{i:012d}",
                        "submission_id": f"s{i:012d}",
                        "name": f"Nguyễn Văn {i}",
                        "phone": f"+849{i % 100_000_000:08d}",
                        "phone_hash": f"{i:064d}",
                        "name_hash": f"{i:064d}",
                        "checked_in_at": start + timedelta(microseconds=i),
                        "auto_out_at": start + timedelta(hours=1),
                    }
                    for i in range(base, min(base + 10_000, args.rows))
                ],
            )
            s.commit()
    print(f"filled {args.rows} rows; exporting in a fresh process", flush=True)
    # A fresh process, so its peak memory is the export's alone, not the fill's.
    subprocess.run(
        [sys.executable, __file__, "--format", args.format, "--export-from", url],
        check=True,
    )
    shutil.rmtree(tmp, ignore_errors=True)


def make_app(url: str) -> Any:
    return create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123",
            "DATABASE_URL": url,
            "ARGON2_TIME_COST": 1,
            "ARGON2_MEMORY_COST": 1024,
        }
    )


def export(url: str, fmt: str) -> None:
    app = make_app(url)
    with app.app_context():
        s = db.session(write=False)
        stored = s.scalar(select(func.count(CheckIn.id)))
        venue_id, org_id = s.execute(select(Venue.id, Venue.organisation_id)).one()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post(
        "/login",
        data={"email": "bench@example.vn", "password": PASSWORD, "csrf_token": csrf},
    )
    before = peak_mb()
    started = time.perf_counter()
    # An export asks why first: its page carries the form, then the POST.
    url = f"/orgs/{org_id}/venues/{venue_id}/checkins.{fmt}"
    form = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    resp = client.post(
        url,
        data={"csrf_token": csrf, "reason": "bench/checkin_export.py"},
        buffered=False,
    )
    size = 0
    lines = 0
    body = io.BytesIO() if fmt == "xlsx" else None
    for chunk in resp.response:
        size += len(chunk)
        if body is not None:
            body.write(chunk)
        else:
            lines += chunk.count(b"\r\n")
    resp.close()
    if body is not None:
        lines = 0
        with zipfile.ZipFile(body) as z:
            for name in z.namelist():
                if not name.startswith("xl/worksheets/sheet"):
                    continue
                with z.open(name) as sheet:
                    # Every sheet repeats the header row.
                    lines += (
                        sum(
                            part.count(b"<row ")
                            for part in iter(lambda s=sheet: s.read(1 << 20), b"")
                        )
                        - 1
                    )
        lines += 1
    exported = lines - 1  # the header row
    elapsed = time.perf_counter() - started
    mb = size / 1e6
    print(f"rows stored {stored}, exported {exported} ({fmt}, {mb:.1f} MB)")
    print(f"{elapsed:.1f} s, {exported / elapsed:.0f} rows/s")
    print(f"peak memory before the export {before:.0f} MB, after {peak_mb():.0f} MB")
    if exported != stored:
        raise SystemExit("row count mismatch")


if __name__ == "__main__":
    main()
