"""Retention purge, rate limits and large streamed exports."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from signage.accounts.models import Role
from signage.checkin import services
from signage.checkin.cli import purge_cmd
from signage.checkin.models import CheckIn, Feedback

from ..helpers import export, login


def _bulk(session, venue, n, at, prefix="b"):
    """n check-ins at ``at`` through one executemany (fast, like a busy venue)."""
    session.execute(
        insert(CheckIn),
        [
            {
                "venue_id": venue.id,
                "public_ref": f"{prefix}{i:09d}",
                "submission_id": f"{prefix}{i:09d}",
                "name": f"Khách {i}",
                "phone": f"+8490{i % 10_000_000:07d}",
                "phone_hash": f"h{i}",
                "name_hash": f"n{i}",
                "checked_in_at": at + timedelta(microseconds=i),
                "auto_out_at": at + timedelta(hours=1),
            }
            for i in range(n)
        ],
    )


def test_purge_deletes_old_rows_in_batches(app, session, make_venue):
    venue = make_venue()
    now = datetime.now(UTC)
    _bulk(session, venue, 25, now - timedelta(days=40), prefix="old")
    _bulk(session, venue, 3, now - timedelta(days=1), prefix="new")
    old = session.scalars(
        select(CheckIn).where(CheckIn.public_ref == "old000000001")
    ).one()
    services.add_feedback(session, old, "hygiene", "cũ")
    recent = session.scalars(
        select(CheckIn).where(CheckIn.public_ref == "new000000001")
    ).one()
    services.add_feedback(session, recent, "service", "mới")
    session.commit()
    result = app.test_cli_runner().invoke(purge_cmd, ["--batch", "7"])
    assert result.exit_code == 0, result.output
    assert "purged 25 check-ins and 1 feedback older than 28 days" in result.output
    assert session.scalar(select(func.count(CheckIn.id))) == 3
    assert session.scalars(select(Feedback.message)).all() == ["mới"]
    again = app.test_cli_runner().invoke(purge_cmd, [])
    assert "purged 0 check-ins" in again.output


def test_purge_cli_is_registered(app):
    result = app.test_cli_runner().invoke(args=["checkins", "purge", "--days", "365"])
    assert result.exit_code == 0 and "purged 0 check-ins" in result.output


@pytest.fixture
def config_overrides():
    return {
        "CHECKIN_LIMIT_PER_IP": "3 per minute",
        "CHECKIN_LIMIT_PER_VENUE": "5/minute",
    }


def test_rate_limit_answers_429_in_vietnamese(client, make_venue, check_in):
    venue = make_venue()
    codes = [
        check_in(client, venue, phone=f"090123450{i}").status_code for i in range(4)
    ]
    assert codes[:3] == [303, 303, 303]
    assert codes[3] == 429
    resp = check_in(client, venue, phone="0901234599")
    assert "quá nhiều" in resp.get_data(as_text=True)
    assert client.get(f"/C/{venue.token}").status_code == 200  # reading still works


def test_per_venue_limit_counts_every_client(app, make_venue, check_in):
    venue, other = make_venue(), make_venue()
    codes = []
    for i in range(6):  # six phones on six different addresses
        phone_client = app.test_client()
        phone_client.environ_base["REMOTE_ADDR"] = f"10.0.0.{i + 1}"
        codes.append(
            check_in(phone_client, venue, phone=f"09123456{i:02d}").status_code
        )
    assert codes == [303] * 5 + [429]
    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "10.0.1.1"
    assert check_in(fresh, other).status_code == 303  # another board is unaffected


def _export_peak(client, url):
    tracemalloc.start()
    resp = export(client, url)
    rows = 0
    for chunk in resp.response:
        rows += chunk.count(b"\r\n")
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    resp.close()
    return rows - 1, peak


@pytest.mark.slow
# The streamed path (below EXPORT_JOB_ROWS; above it the export is a job, tests/jobs).
@pytest.mark.parametrize("config_overrides", [{"EXPORT_JOB_ROWS": 100_000}])
def test_large_export_streams_every_row_with_flat_memory(
    client, session, make_venue, make_user
):
    venue = make_venue()
    start = datetime.now(UTC) - timedelta(days=1)
    for k in range(6):
        _bulk(session, venue, 5000, start + timedelta(seconds=k), prefix=f"x{k}")
    login(client, make_user(Role.MANAGER, venue.organisation))
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins.csv"
    small_rows, small_peak = _export_peak(client, url + "?to=2000-01-01")
    total = session.scalar(select(func.count(CheckIn.id)))
    rows, peak = _export_peak(client, url)
    assert small_rows == 0
    assert rows == total == 30_000
    # Memory does not grow with rows: 30,000 rows cost about what 0 rows cost.
    assert peak < small_peak + 4 * 1024 * 1024, (small_peak, peak)
    parsed = list(
        csv.reader(io.StringIO(export(client, url).get_data().decode("utf-8-sig")))
    )
    assert len(parsed) == total + 1
