"""Check-in rollups: what the reports read instead of the check-ins.

Three small tables (models.py) hold per venue and local day counts, per province and
local day counts, and each venue's latest check-in. They are brought up to date by
:func:`refresh`, run every minute by the job queue (or `flask reports refresh`): it
counts the check-ins above a watermark (the highest check-in id already counted) and
moves the watermark. The check-in POST, the hottest path, does no extra work.

The reports add "the tail", the check-ins above the watermark, read by an index range
on the primary key (a minute's worth when the refresh runs), so their figures are exact
to the last check-in even when the refresh is late, and never scan the check-ins.

Why a watermark id is safe:

- SQLite admits one writer at a time and the refresh runs in a write transaction, so
  every id up to max(id) is committed when it reads it; check-ins are AUTOINCREMENT,
  so a purge of the newest rows never makes SQLite hand their ids out again.
- On PostgreSQL a check-in may take a sequence value and commit after a larger one:
  the refresh first takes a SHARE lock on ``checkins`` (it waits for inserts in
  flight and admits no new one until the refresh commits, a few milliseconds), so no
  id below the new watermark can appear later. NOWAIT with a few retries: the refresh
  never queues check-ins behind it; when it cannot get the lock it counts nothing
  this time and the reports read a longer tail.

The rollups are aggregate counts, not personal data: the retention purge deletes only
check-ins already counted (it asks for a refresh first, see ``on_purge``) and leaves
the rollups alone, so the deployment history outlives the 28-day retention.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    Date,
    case,
    cast,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..checkin.models import CheckIn
from ..checkin.signals import before_purge
from ..db import utcnow
from ..venues.models import Venue
from .models import ProvinceDay, RollupState, VenueDay, VenueLast

DEFAULT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Check-in ids counted per call of refresh(): a transaction of a few tens of
# milliseconds (SQLite holds its write lock for it). A refresh after a long pause works
# through the backlog over several calls; the reports read the rest as the tail.
STEP = 5000
_LOCK_TRIES = 5


def watermark(session: Session) -> int:
    """The highest check-in id already in the rollups (0 before the first refresh)."""
    return int(
        session.scalar(select(RollupState.last_checkin_id).where(RollupState.id == 1))
        or 0
    )


def _lock_state(session: Session) -> int:
    """Read the watermark for update (PostgreSQL: row lock; SQLite: the session is
    already a write transaction), creating the state row if missing."""
    stmt = select(RollupState.last_checkin_id).where(RollupState.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = session.scalar(stmt)
    if found is None:
        session.add(RollupState(id=1, last_checkin_id=0))
        session.flush()
        return 0
    return int(found)


def _settled_max_id(session: Session) -> int | None:
    """max(check-in id), such that no smaller id can still be committed later; None
    when that cannot be known right now (PostgreSQL, inserts kept the lock busy).

    On PostgreSQL the SHARE lock is taken on a connection of its own, for one
    statement: it waits for no one (NOWAIT) and blocks check-ins only while max(id)
    is read, not while the refresh counts."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return int(session.scalar(select(func.max(CheckIn.id))) or 0)
    engine = bind.engine if isinstance(bind, Connection) else bind
    for attempt in range(_LOCK_TRIES):
        try:
            with engine.begin() as conn:
                conn.execute(text("LOCK TABLE checkins IN SHARE MODE NOWAIT"))
                return int(conn.scalar(select(func.max(CheckIn.id))) or 0)
        except OperationalError:
            time.sleep(0.01 * (attempt + 1))
    return None


@dataclass
class _Counts:
    venue_days: Counter[tuple[int, date]]
    province_days: Counter[tuple[int, date]]
    last: dict[int, datetime]


def _count(rows: Iterable[Any], zone: ZoneInfo) -> _Counts:
    out = _Counts(Counter(), Counter(), {})
    for venue_id, province_code, at in rows:
        day = at.astimezone(zone).date()
        out.venue_days[venue_id, day] += 1
        out.province_days[province_code, day] += 1
        if venue_id not in out.last or at > out.last[venue_id]:
            out.last[venue_id] = at
    return out


def _upsert(
    session: Session, model: Any, rows: list[dict[str, Any]], set_: Any
) -> None:
    """INSERT ... ON CONFLICT (primary key) DO UPDATE, on SQLite and PostgreSQL."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(model)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(model)
    keys = [c.name for c in model.__table__.primary_key.columns]
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_=set_(stmt, model))
    session.execute(stmt, rows)


def _larger(stmt: Any, model: Any) -> dict[str, Any]:
    new, old = stmt.excluded.checkins, model.checkins
    return {"checkins": case((new > old, new), else_=old)}


def _add_counts(session: Session, counts: _Counts) -> None:
    def add(stmt: Any, model: Any) -> dict[str, Any]:
        return {"checkins": model.checkins + stmt.excluded.checkins}

    def later(stmt: Any, model: Any) -> dict[str, Any]:
        new = stmt.excluded.last_checkin_at
        old = model.last_checkin_at
        # CASE, not max()/greatest(): one spelling for both databases.
        return {"last_checkin_at": case((new > old, new), else_=old)}

    _upsert(
        session,
        VenueDay,
        [
            {"venue_id": v, "day": d, "checkins": n}
            for (v, d), n in counts.venue_days.items()
        ],
        add,
    )
    _upsert(
        session,
        ProvinceDay,
        [
            {"province_code": p, "day": d, "checkins": n}
            for (p, d), n in counts.province_days.items()
        ],
        add,
    )
    _upsert(
        session,
        VenueLast,
        [{"venue_id": v, "last_checkin_at": at} for v, at in counts.last.items()],
        later,
    )


def _rows_between(session: Session, low: int, high: int) -> Iterable[Any]:
    """(venue, province, time) of the check-ins with low < id <= high, by the primary
    key range (the province is the venue's organisation's, now)."""
    return session.execute(
        select(CheckIn.venue_id, Organisation.province_code, CheckIn.checked_in_at)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(CheckIn.id > low, CheckIn.id <= high)
    )


def _fixed_offset(zone: ZoneInfo, first: datetime, last: datetime) -> int | None:
    """The zone's UTC offset in seconds if it is the same from ``first`` to ``last``
    (checked every day between: no zone changes offset twice in a day), else None.
    Asia/Ho_Chi_Minh has been UTC+7 since 1975."""
    offsets = set()
    at = first
    while True:
        offsets.add(at.astimezone(zone).utcoffset())
        if at >= last or len(offsets) > 1:
            break
        at = min(at + timedelta(days=1), last)
    only = offsets.pop()
    return int(only.total_seconds()) if not offsets and only is not None else None


def _grouped(session: Session, low: int, high: int, zone: ZoneInfo) -> _Counts | None:
    """The same counts as :func:`_count`, grouped by the database (venue, local day):
    several times faster for a rebuild. None where the database cannot tell the local
    day (SQLite, a zone whose offset changes within the range)."""
    in_range = (CheckIn.id > low) & (CheckIn.id <= high)
    if session.get_bind().dialect.name == "postgresql":
        day: Any = cast(func.timezone(zone.key, CheckIn.checked_in_at), Date)
    else:
        first, last = session.execute(
            select(
                func.min(CheckIn.checked_in_at), func.max(CheckIn.checked_in_at)
            ).where(in_range)
        ).one()
        if first is None:
            return _Counts(Counter(), Counter(), {})
        offset = _fixed_offset(zone, first, last)
        if offset is None:
            return None
        day = func.date(CheckIn.checked_in_at, f"{offset:+d} seconds")
    rows = session.execute(
        select(
            CheckIn.venue_id,
            Organisation.province_code,
            day,
            func.count(),
            func.max(CheckIn.checked_in_at),
        )
        .join(Venue, Venue.id == CheckIn.venue_id)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(in_range)
        .group_by(CheckIn.venue_id, Organisation.province_code, day)
    )
    out = _Counts(Counter(), Counter(), {})
    for venue_id, province_code, local_day, n, latest in rows:
        if isinstance(local_day, str):
            local_day = date.fromisoformat(local_day)
        out.venue_days[venue_id, local_day] += n
        out.province_days[province_code, local_day] += n
        if venue_id not in out.last or latest > out.last[venue_id]:
            out.last[venue_id] = latest
    return out


def refresh(
    session: Session,
    *,
    zone: ZoneInfo = DEFAULT_ZONE,
    limit: int | None = STEP,
) -> int:
    """Count the check-ins above the watermark into the rollups and move it; returns
    how many were counted. ``limit`` bounds the ids handled in this call (None: all);
    call again after committing while it returns anything. Flushes, never commits:
    the caller's commit makes the counts and the new watermark visible together."""
    low = _lock_state(session)
    top = _settled_max_id(session)
    if top is None or top <= low:
        return 0
    if limit is not None:
        top = min(top, low + limit)
    counts = _grouped(session, low, top, zone)
    if counts is None:
        counts = _count(_rows_between(session, low, top), zone)
    _add_counts(session, counts)
    counted = sum(counts.venue_days.values())
    session.execute(
        update(RollupState)
        .where(RollupState.id == 1)
        .values(last_checkin_id=top, refreshed_at=utcnow())
    )
    session.flush()
    return counted


def rebuild(
    session_factory: Callable[[], Session],
    *,
    zone: ZoneInfo = DEFAULT_ZONE,
    step: int = STEP,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute the rollups from the check-ins (after a restore or a bulk load).

    Days the check-ins still cover completely are recounted from scratch; days before
    them (purged) keep their rollup figures: they are the only record left. The first
    covered day may be partly purged, so it keeps the larger of the old and the new
    count. The first transaction clears the days to recount (on SQLite it holds the
    write lock while it deletes them: run it at a quiet hour); then each step
    (``step`` ids) is its own short transaction, committed here (this is a boundary,
    like a CLI command); ``progress(done_ids, total_ids)`` after each. The reports stay
    exact meanwhile: what is not recounted yet is above the watermark, in their tail.
    Returns the number of check-ins counted.
    """
    with session_factory() as s:
        _lock_state(s)  # a refresh running meanwhile waits for this step
        first = s.scalar(select(func.min(CheckIn.checked_in_at)))
        top = int(s.scalar(select(func.max(CheckIn.id))) or 0)
        bottom = int(s.scalar(select(func.min(CheckIn.id))) or 1) - 1
        first_day = first.astimezone(zone).date() if first else None
        kept_venues: list[Any] = []
        kept_provinces: list[Any] = []
        if first_day is not None:
            kept_venues = list(
                s.execute(
                    select(VenueDay.venue_id, VenueDay.checkins).where(
                        VenueDay.day == first_day
                    )
                )
            )
            kept_provinces = list(
                s.execute(
                    select(ProvinceDay.province_code, ProvinceDay.checkins).where(
                        ProvinceDay.day == first_day
                    )
                )
            )
            s.execute(delete(VenueDay).where(VenueDay.day >= first_day))
            s.execute(delete(ProvinceDay).where(ProvinceDay.day >= first_day))
            # Venues with check-ins get their latest from them below; the others
            # keep the (purged) one they had.
            s.execute(
                delete(VenueLast).where(
                    VenueLast.venue_id.in_(select(CheckIn.venue_id).distinct())
                )
            )
        s.execute(
            update(RollupState)
            .where(RollupState.id == 1)
            .values(last_checkin_id=max(bottom, 0), refreshed_at=utcnow())
        )
        s.commit()
    total = max(top - bottom, 0)
    counted, mark, stuck = 0, bottom, 0
    while mark < top:
        with session_factory() as s:
            counted += refresh(s, zone=zone, limit=step)
            moved, mark = mark, watermark(s)
            s.commit()
        # PostgreSQL: inserts may keep the SHARE lock out for a moment; not forever.
        stuck = stuck + 1 if mark == moved else 0
        if stuck > 100:
            raise RuntimeError("the rollups could not lock checkins to count them")
        if progress is not None:
            progress(min(max(mark - bottom, 0), total), total)
    if first_day is not None:
        with session_factory() as s:
            _upsert(
                s,
                VenueDay,
                [
                    {"venue_id": v, "day": first_day, "checkins": n}
                    for v, n in kept_venues
                ],
                _larger,
            )
            _upsert(
                s,
                ProvinceDay,
                [
                    {"province_code": p, "day": first_day, "checkins": n}
                    for p, n in kept_provinces
                ],
                _larger,
            )
            s.commit()
    return counted


# Check-ins counted per transaction before a purge: a few milliseconds of lock.
PURGE_STEP = 2000


@before_purge.connect
def on_purge(session: Session, **kw: Any) -> int:
    """Before the check-in purge: count (a step of) what is not counted yet, and tell
    the purge the highest id it may delete (it never deletes an uncounted check-in;
    it asks again until the answer stops moving)."""
    refresh(session, zone=kw.get("zone") or DEFAULT_ZONE, limit=PURGE_STEP)
    return watermark(session)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day in UTC."""
    start = datetime.combine(day, dtime.min, zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), dtime.min, zone).astimezone(UTC)
    return start, end
