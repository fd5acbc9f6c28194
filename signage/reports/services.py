"""Deployment and adoption figures for the province, against the campaign deadline.

Every figure is one grouped query over indexed columns (no per-venue loop), so the
report stays fast with tens of thousands of venues:

- registered: venues (and organisations) in the registry;
- printed: venues whose board was downloaded at least once (BoardDownload);
- in use: venues with a check-in in the last ``active_days`` days;
- check-ins per local day, each day one indexed range count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, OrgKind
from ..checkin.models import CheckIn
from ..posters.models import BoardDownload
from ..venues.models import Venue


@dataclass
class Row:
    """One line of a breakdown (a ward, an organisation kind, or the total)."""

    key: Any
    organisations: int = 0
    organisations_printed: int = 0
    venues: int = 0
    venues_active: int = 0
    venues_printed: int = 0
    venues_in_use: int = 0

    @property
    def printed_share(self) -> float:
        return self.venues_printed / self.venues if self.venues else 0.0

    @property
    def in_use_share(self) -> float:
        return self.venues_in_use / self.venues if self.venues else 0.0

    @property
    def organisations_share(self) -> float:
        return (
            self.organisations_printed / self.organisations
            if self.organisations
            else 0.0
        )

    def add(self, other: Row) -> None:
        for name in (
            "organisations",
            "organisations_printed",
            "venues",
            "venues_active",
            "venues_printed",
            "venues_in_use",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Deployment:
    by_ward: list[Row]
    by_kind: list[Row]
    total: Row
    active_days: int
    as_of: datetime
    deadline: date | None = None
    per_day: list[tuple[date, int]] = field(default_factory=list)

    def days_left(self, today: date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


def _printed_venues() -> Any:
    return select(BoardDownload.venue_id.label("venue_id")).distinct().subquery()


def _used_venues(since: datetime) -> Any:
    return (
        select(CheckIn.venue_id.label("venue_id"))
        .where(CheckIn.checked_in_at >= since)
        .distinct()
        .subquery()
    )


def _venue_counts(
    session: Session, key: ColumnElement[Any], province_code: int, since: datetime
) -> dict[Any, Row]:
    printed, used = _printed_venues(), _used_venues(since)
    stmt = (
        select(
            key,
            func.count(Venue.id),
            func.count(Venue.id).filter(Venue.active.is_(True)),
            func.count(printed.c.venue_id),
            func.count(used.c.venue_id),
        )
        .select_from(Venue)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .outerjoin(printed, printed.c.venue_id == Venue.id)
        .outerjoin(used, used.c.venue_id == Venue.id)
        .where(Organisation.province_code == province_code)
        .group_by(key)
    )
    rows: dict[Any, Row] = {}
    for k, n, active, n_printed, n_used in session.execute(stmt):
        rows[k] = Row(
            key=k,
            venues=n,
            venues_active=active,
            venues_printed=n_printed,
            venues_in_use=n_used,
        )
    return rows


def _org_counts(
    session: Session, key: ColumnElement[Any], province_code: int
) -> dict[Any, tuple[int, int]]:
    """Organisations per key, and how many of them printed at least one board."""
    printed_sub = (
        select(BoardDownload.organisation_id.label("org_id")).distinct().subquery()
    )
    stmt = (
        select(key, func.count(Organisation.id), func.count(printed_sub.c.org_id))
        .select_from(Organisation)
        .outerjoin(printed_sub, printed_sub.c.org_id == Organisation.id)
        .where(Organisation.province_code == province_code)
        .where(Organisation.active.is_(True))
        .group_by(key)
    )
    return {k: (n, p) for k, n, p in session.execute(stmt)}


def _merge(
    venue_rows: dict[Any, Row],
    org_rows: dict[Any, tuple[int, int]],
    keys: Iterable[Any],
) -> list[Row]:
    out = []
    for k in keys:
        row = venue_rows.get(k) or Row(key=k)
        row.organisations, row.organisations_printed = org_rows.get(k, (0, 0))
        out.append(row)
    return out


def deployment(
    session: Session,
    *,
    province_code: int,
    now: datetime,
    active_days: int = 7,
    deadline: date | None = None,
) -> Deployment:
    since = now - timedelta(days=active_days)
    # Venues are counted in their own ward; organisations in the ward of their seat.
    ward_venues = _venue_counts(session, Venue.ward_code, province_code, since)
    ward_orgs = _org_counts(session, Organisation.ward_code, province_code)
    wards = sorted(set(ward_venues) | set(ward_orgs), key=lambda k: (k is None, k or 0))
    kind_venues = _venue_counts(session, Organisation.kind, province_code, since)
    kind_orgs = _org_counts(session, Organisation.kind, province_code)
    by_ward = _merge(ward_venues, ward_orgs, wards)
    by_kind = _merge(kind_venues, kind_orgs, list(OrgKind))
    total = Row(key=None)
    for row in by_kind:
        total.add(row)
    return Deployment(
        by_ward=by_ward,
        by_kind=by_kind,
        total=total,
        active_days=active_days,
        as_of=now,
        deadline=deadline,
    )


def checkins_per_day(
    session: Session, *, days: int, today: date, zone: ZoneInfo, province_code: int
) -> list[tuple[date, int]]:
    """Check-ins per local day for the last ``days`` days (oldest first)."""
    out = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, time.min, zone).astimezone(UTC)
        end = start + timedelta(days=1)
        n = session.scalar(
            select(func.count(CheckIn.id))
            .join(Venue, Venue.id == CheckIn.venue_id)
            .join(Organisation, Organisation.id == Venue.organisation_id)
            .where(CheckIn.checked_in_at >= start, CheckIn.checked_in_at < end)
            .where(Organisation.province_code == province_code)
        )
        out.append((day, int(n or 0)))
    return out


@dataclass
class Laggard:
    organisation: Organisation
    venues: int


def laggards(session: Session, *, province_code: int) -> list[Laggard]:
    """Active organisations that have not printed a single board yet (the ones the
    Department calls), with how many venues they registered."""
    printed = select(BoardDownload.organisation_id).distinct()
    venue_counts = (
        select(Venue.organisation_id, func.count(Venue.id).label("n"))
        .group_by(Venue.organisation_id)
        .subquery()
    )
    stmt = (
        select(Organisation, func.coalesce(venue_counts.c.n, 0))
        .outerjoin(venue_counts, venue_counts.c.organisation_id == Organisation.id)
        .where(Organisation.province_code == province_code)
        .where(Organisation.active.is_(True))
        .where(Organisation.id.not_in(printed))
        .order_by(Organisation.ward_code, Organisation.name)
    )
    return [Laggard(org, int(n)) for org, n in session.execute(stmt)]
