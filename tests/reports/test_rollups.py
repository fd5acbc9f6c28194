"""Check-in rollups: they agree with a direct count after check-ins, after the purge
and after a rebuild, and the reports read them instead of scanning check-ins."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, insert, select

from signage.accounts.models import Role
from signage.checkin.models import CheckIn
from signage.checkin.purge import purge
from signage.db import get_db, utcnow
from signage.reports import rollups
from signage.reports.models import ProvinceDay, VenueDay, VenueLast

from ..helpers import login

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
_n = iter(range(10**9))


def _add(session, venue, at: datetime, n: int = 1) -> None:
    rows = []
    for _ in range(n):
        i = next(_n)
        rows.append(
            {
                "venue_id": venue.id,
                "public_ref": f"r{i:012d}",
                "submission_id": f"s{i:012d}",
                "name": "Khách",
                "phone": "+84901234567",
                "phone_hash": f"h{i}",
                "name_hash": f"n{i}",
                "checked_in_at": at,
                "auto_out_at": at + timedelta(hours=1),
            }
        )
    session.execute(insert(CheckIn), rows)


def _direct(session, zone: ZoneInfo = ZONE) -> tuple[Counter, dict]:
    """(venue, local day) -> count, and venue -> latest, straight from check-ins."""
    days: Counter = Counter()
    last: dict = {}
    for venue_id, at in session.execute(
        select(CheckIn.venue_id, CheckIn.checked_in_at)
    ):
        days[venue_id, at.astimezone(zone).date()] += 1
        last[venue_id] = max(last.get(venue_id, at), at)
    return days, last


def _rolled(session) -> tuple[Counter, dict]:
    days = Counter(
        {
            (v, d): n
            for v, d, n in session.execute(
                select(VenueDay.venue_id, VenueDay.day, VenueDay.checkins)
            )
        }
    )
    last = dict(
        session.execute(select(VenueLast.venue_id, VenueLast.last_checkin_at)).all()
    )
    return days, last


def _refresh(app, zone: ZoneInfo = ZONE) -> int:
    with get_db(app).write() as s:
        n = rollups.refresh(s, zone=zone)
        s.commit()
    return n


@pytest.fixture
def busy(session, make_org, make_venue):
    """Two venues with check-ins over 40 days, some on either side of local
    midnight (17:00 UTC), and one in another province's organisation."""
    org = make_org()
    a, b = make_venue(org), make_venue(org)
    elsewhere = make_venue(make_org(province_code=1, ward_code=None))
    now = utcnow()
    for age in (0, 1, 2, 10, 29, 35, 40):
        day = (now - timedelta(days=age)).replace(hour=16, minute=59, second=0)
        _add(session, a, day, n=3)
        _add(session, a, day + timedelta(minutes=2), n=2)  # the next local day
        _add(session, b, day - timedelta(hours=5), n=age % 4 + 1)
        _add(session, elsewhere, day, n=1)
    return {"a": a, "b": b, "elsewhere": elsewhere}


def test_refresh_counts_every_check_in_once(app, session, busy):
    total = session.scalar(select(func.count(CheckIn.id)))
    assert _refresh(app) == total
    assert _rolled(session) == _direct(session)
    assert _refresh(app) == 0  # nothing new: nothing counted twice
    _add(session, busy["b"], utcnow(), n=4)
    assert _refresh(app) == 4
    assert _rolled(session) == _direct(session)
    assert rollups.watermark(session) == session.scalar(select(func.max(CheckIn.id)))
    provinces = dict(
        session.execute(
            select(ProvinceDay.province_code, func.sum(ProvinceDay.checkins)).group_by(
                ProvinceDay.province_code
            )
        ).all()
    )
    assert provinces == {46: total + 4 - 7, 1: 7}


def test_purge_keeps_the_counted_history(app, session, busy):
    _refresh(app)
    before = _rolled(session)
    _add(session, busy["a"], utcnow() - timedelta(days=50), n=2)  # late bulk load
    cutoff = utcnow() - timedelta(days=28)
    old = session.scalar(
        select(func.count(CheckIn.id)).where(CheckIn.checked_in_at < cutoff)
    )
    report = purge(get_db(app).write, cutoff, pause_s=0)
    assert report.checkins == old > 2
    # Nothing older than 28 days is left, yet the rollups still hold those days,
    # including the two late rows (counted by the purge's refresh before deleting).
    assert (
        session.scalar(
            select(func.count(CheckIn.id)).where(CheckIn.checked_in_at < cutoff)
        )
        == 0
    )
    after, _last = _rolled(session)
    days_50 = (utcnow() - timedelta(days=50)).astimezone(ZONE).date()
    assert after[busy["a"].id, days_50] == 2
    assert after - Counter({(busy["a"].id, days_50): 2}) == before[0]
    # The days still covered by check-ins agree with them.
    direct, last = _direct(session)
    for key, n in direct.items():
        assert after[key] == n
    for venue_id, at in last.items():
        assert _last[venue_id] == at


def test_rebuild_recounts_and_keeps_purged_days(app, session, busy):
    _refresh(app)
    purge(get_db(app).write, utcnow() - timedelta(days=28), pause_s=0)
    history, _ = _rolled(session)
    # A restore from a backup taken before the rollups existed: wrong figures.
    session.execute(VenueDay.__table__.update().values(checkins=999))
    session.execute(VenueLast.__table__.delete())
    result = app.test_cli_runner().invoke(args=["reports", "rebuild", "--step", "7"])
    assert result.exit_code == 0, result.output
    counted = session.scalar(select(func.count(CheckIn.id)))
    assert f"counted {counted} check-ins" in result.output
    rebuilt, last = _rolled(session)
    direct, direct_last = _direct(session)
    first = min(d for _v, d in direct)
    assert {k: n for k, n in rebuilt.items() if k[1] > first} == {
        k: n for k, n in direct.items() if k[1] > first
    }
    # Purged days are the only record left: kept as they were (here the bad 999).
    assert all(n == 999 for k, n in rebuilt.items() if k[1] < first)
    assert {k for k in rebuilt if k[1] < first} == {k for k in history if k[1] < first}
    # The first covered day may be partly purged: the larger figure stays.
    assert {k: n for k, n in rebuilt.items() if k[1] == first} == {
        k: 999 for k in history if k[1] == first
    } | {k: n for k, n in direct.items() if k[1] == first and k not in history}
    assert last == direct_last


def test_cli_refresh(app, session, busy):
    result = app.test_cli_runner().invoke(args=["reports", "refresh"])
    assert result.exit_code == 0, result.output
    total = session.scalar(select(func.count(CheckIn.id)))
    assert f"counted {total} check-ins" in result.output
    assert _rolled(session) == _direct(session)


def test_ids_are_not_reused_after_purging_the_newest(app, session, make_venue):
    venue = make_venue()
    _add(session, venue, utcnow() - timedelta(days=40), n=3)
    top = session.scalar(select(func.max(CheckIn.id)))
    _refresh(app)
    purge(get_db(app).write, utcnow() - timedelta(days=28), pause_s=0)
    assert session.scalar(select(func.count(CheckIn.id))) == 0
    _add(session, venue, utcnow(), n=1)
    assert session.scalar(select(func.min(CheckIn.id))) > top
    assert _refresh(app) == 1  # the new one is counted, not taken as counted


def _figures(client) -> tuple[str, list[str]]:
    page = client.get("/reports/").get_data(as_text=True)
    figures = page.split('<section class="kpis">')[1]  # after the "as of" time
    rows = list(
        csv.reader(
            io.StringIO(client.get("/reports/deployment.csv").data.decode("utf-8-sig"))
        )
    )
    return figures, rows[-1]


def _capture(app):
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_a):
        seen.append(statement)

    event.listen(get_db(app).engine, "before_cursor_execute", listen)
    return seen, lambda: event.remove(
        get_db(app).engine, "before_cursor_execute", listen
    )


def test_reports_show_the_same_figures_before_and_after_refresh(
    app, client, session, make_user, busy
):
    from signage.reports import services

    login(client, make_user(Role.ADMIN))
    today = utcnow().astimezone(ZONE).date()

    def per_day():
        return services.checkins_per_day(
            session, days=14, today=today, zone=ZONE, province_code=46
        )

    tail_only = per_day(), _figures(client)
    _refresh(app)
    assert (per_day(), _figures(client)) == tail_only
    _add(session, busy["a"], utcnow(), n=5)  # half counted, half in the tail
    _refresh(app)
    _add(session, busy["b"], utcnow(), n=2)
    days = per_day()
    assert days[-1][1] == dict(tail_only[0])[today] + 7
    assert sum(n for _d, n in days) == sum(n for _d, n in tail_only[0]) + 7


def test_reports_read_no_check_ins_below_the_watermark(app, client, make_user, busy):
    _refresh(app)
    login(client, make_user(Role.ADMIN))
    seen, stop = _capture(app)
    try:
        org_id = busy["a"].organisation_id
        for url in (
            "/reports/",
            "/reports/deployment.csv",
            "/reports/laggards.csv",
            "/reports/adoption.csv",
            f"/reports/orgs/{org_id}",
        ):
            assert client.get(url).status_code == 200
        out = app.test_cli_runner().invoke(args=["reports", "deployment"])
        assert out.exit_code == 0, out.output
    finally:
        stop()
    touching = [s for s in seen if re.search(r"(FROM|JOIN)\s+checkins\b", s)]
    assert touching, "the tail is read"
    for statement in touching:
        # Only the tail: a primary key range above the watermark, read once per
        # statement as a materialized CTE, and nothing else from check-ins.
        assert re.search(r"checkins\.id > ", statement), statement
        assert len(re.findall(r"(FROM|JOIN)\s+checkins\b", statement)) == 1
        assert (
            "checked_in_at <" not in statement.split("checkin_tail AS")[1].split(")")[0]
        )


def test_tail_is_read_by_primary_key_range(app, session, busy):
    if get_db(app).engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner")
    from signage.reports.services import _tail

    tail = _tail(0)
    stmt = select(tail.c.venue_id).where(tail.c.checked_in_at >= datetime.now(UTC))
    sql = str(stmt.compile(get_db(app).engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(
        str(r[-1])
        for r in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql)
    )
    assert "INTEGER PRIMARY KEY (rowid>?)" in plan, plan


def test_purge_counts_a_large_backlog_in_steps_first(app, session, busy, monkeypatch):
    """Nothing refreshed yet: the purge has the rollups count everything, a few
    check-ins per transaction, before it deletes any of them."""
    monkeypatch.setattr(rollups, "PURGE_STEP", 5)
    everything, latest = _direct(session)
    top = session.scalar(select(func.max(CheckIn.id)))
    report = purge(get_db(app).write, utcnow() - timedelta(days=28), pause_s=0)
    assert report.checkins > 5
    rolled, last = _rolled(session)
    assert rolled == everything and last == latest
    assert rollups.watermark(session) == top


def test_postgres_refresh_never_passes_an_insert_in_flight(app, session, make_venue):
    """A check-in that took its id but has not committed yet: the refresh counts
    nothing rather than move the watermark past it (it would never be counted)."""
    if get_db(app).engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: nothing is ever in flight")
    venue = make_venue()
    with get_db(app).engine.connect() as other:
        tx = other.begin()
        _add(other, venue, utcnow())  # takes the smaller id, commits last
        _add(session, venue, utcnow())
        assert _refresh(app) == 0
        assert rollups.watermark(session) == 0
        tx.commit()
    assert _refresh(app) == 2
    assert _rolled(session) == _direct(session)


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Paris", "Asia/Kathmandu"])
def test_local_days_in_any_zone(app, session, busy, zone):
    """Grouped by the database where it can tell the local day (a fixed offset on
    SQLite, any zone on PostgreSQL), by Python otherwise (Paris changes its clocks
    within these 40 days): the same figures either way."""
    tz = ZoneInfo(zone)
    _refresh(app, tz)
    assert _rolled(session) == _direct(session, tz)
