"""Exposure queries: who was at the same venue at the same time as a case.

A stay runs from check-in to ``CheckIn.left_at`` (the check-out, or the automatic
check-out after the venue's default stay). Two stays overlap when each starts before the
other ends; ``margin`` widens the case's stay on both sides (air lingers; clocks and
habits differ). Each visit of the case costs one query on the (venue, time) index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..checkin.models import CheckIn
from ..errors import Gone, Invalid, NotFound
from ..venues import services as venues
from ..venues import tokens
from ..venues.models import RetiredToken, Venue
from ..venues.services import STAY_MAX

MAX_WINDOW = timedelta(days=31)
MAX_MARGIN_MINUTES = 240


def _overlap(a0: datetime, a1: datetime, b0: datetime, b1: datetime) -> timedelta:
    return max(timedelta(0), min(a1, b1) - max(a0, b0))


@dataclass
class Contact:
    row: CheckIn
    overlap: timedelta


@dataclass
class Exposure:
    """One visit of the case and the people present during it."""

    visit: CheckIn
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class Person:
    """A contact across all the case's visits: one line per person, a phone and a
    name (a family or a group checks in on one phone, each by name)."""

    name: str
    phone: str
    visits: int
    overlap: timedelta
    first_seen: datetime


@dataclass
class CaseResult:
    exposures: list[Exposure]

    @property
    def people(self) -> list[Person]:
        by_phone: dict[tuple[str, str], Person] = {}
        for exp in self.exposures:
            for c in exp.contacts:
                who = (c.row.phone_hash, c.row.name)
                p = by_phone.get(who)
                if p is None:
                    by_phone[who] = Person(
                        c.row.name, c.row.phone, 1, c.overlap, c.row.checked_in_at
                    )
                else:
                    p.visits += 1
                    p.overlap += c.overlap
                    p.first_seen = min(p.first_seen, c.row.checked_in_at)
        return sorted(by_phone.values(), key=lambda p: (-p.overlap, p.first_seen))


def check_window(start: datetime, end: datetime, margin_minutes: int = 0) -> None:
    if end <= start:
        raise Invalid("Thời điểm kết thúc phải sau thời điểm bắt đầu.", field="end")
    if end - start > MAX_WINDOW:
        raise Invalid("Khoảng thời gian tối đa là 31 ngày.", field="end")
    if not 0 <= margin_minutes <= MAX_MARGIN_MINUTES:
        raise Invalid("Thời gian nới rộng từ 0 đến 240 phút.", field="margin")


def present(
    session: Session,
    venue_id: int,
    start: datetime,
    end: datetime,
    *,
    exclude_hash: str | None = None,
) -> list[CheckIn]:
    """Every check-in at the venue whose stay overlaps [start, end)."""
    ends = func.coalesce(CheckIn.checked_out_at, CheckIn.auto_out_at)
    stmt = (
        select(CheckIn)
        .where(
            CheckIn.venue_id == venue_id,
            # The index bound: no stay is longer than STAY_MAX minutes.
            CheckIn.checked_in_at >= start - timedelta(minutes=STAY_MAX),
            CheckIn.checked_in_at < end,
            ends > start,
        )
        .order_by(CheckIn.checked_in_at)
    )
    if exclude_hash is not None:
        stmt = stmt.where(CheckIn.phone_hash != exclude_hash)
    return list(session.scalars(stmt))


def count_present(
    session: Session,
    venue_id: int,
    start: datetime,
    end: datetime,
    limit: int,
    *,
    exclude_hash: str | None = None,
) -> int:
    """How many check-ins :func:`present` would return, counted up to ``limit``."""
    ends = func.coalesce(CheckIn.checked_out_at, CheckIn.auto_out_at)
    stmt = select(CheckIn.id).where(
        CheckIn.venue_id == venue_id,
        CheckIn.checked_in_at >= start - timedelta(minutes=STAY_MAX),
        CheckIn.checked_in_at < end,
        ends > start,
    )
    if exclude_hash is not None:
        stmt = stmt.where(CheckIn.phone_hash != exclude_hash)
    capped = stmt.limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


def case_exposures(
    session: Session,
    phone_hash: str,
    start: datetime,
    end: datetime,
    *,
    margin_minutes: int = 0,
) -> CaseResult:
    """The case's visits in [start, end) and, for each, who overlapped it."""
    check_window(start, end, margin_minutes)
    margin = timedelta(minutes=margin_minutes)
    visits = session.scalars(
        select(CheckIn)
        .where(
            CheckIn.phone_hash == phone_hash,
            CheckIn.checked_in_at >= start,
            CheckIn.checked_in_at < end,
        )
        .order_by(CheckIn.checked_in_at)
    )
    exposures = []
    for visit in visits:
        a0, a1 = visit.checked_in_at - margin, visit.left_at + margin
        rows = present(session, visit.venue_id, a0, a1, exclude_hash=phone_hash)
        exposures.append(
            Exposure(
                visit,
                [
                    Contact(r, _overlap(a0, a1, r.checked_in_at, r.left_at))
                    for r in rows
                ],
            )
        )
    return CaseResult(exposures)


def count_contact_rows(
    session: Session,
    phone_hash: str,
    start: datetime,
    end: datetime,
    *,
    margin_minutes: int = 0,
    limit: int,
) -> int:
    """How many check-in rows :func:`case_exposures` would read for the case's
    contacts, counted up to ``limit`` (one bounded count per visit of the case): what
    decides whether the contacts CSV is written in the request or by a job."""
    check_window(start, end, margin_minutes)
    margin = timedelta(minutes=margin_minutes)
    visits = session.execute(
        select(
            CheckIn.venue_id,
            CheckIn.checked_in_at,
            func.coalesce(CheckIn.checked_out_at, CheckIn.auto_out_at),
        )
        .where(
            CheckIn.phone_hash == phone_hash,
            CheckIn.checked_in_at >= start,
            CheckIn.checked_in_at < end,
        )
        .order_by(CheckIn.checked_in_at)
    )
    total = 0
    for venue_id, came, left in visits:
        total += count_present(
            session,
            venue_id,
            came - margin,
            left + margin,
            limit - total,
            exclude_hash=phone_hash,
        )
        if total >= limit:
            break
    return total


def venue_by_token(session: Session, token: str) -> Venue | None:
    """Any venue (also a deactivated one, or by a retired token) for an inquiry."""
    try:
        return venues.resolve_token(session, token)
    except Gone:
        retired = session.get(RetiredToken, tokens.normalise(token))
        return session.get(Venue, retired.venue_id) if retired else None
    except NotFound:
        return None
