"""Exposure queries for health officers: where a person checked in, and who was at the
same venue at overlapping times. Every query is audited with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from ..accounts.models import Organisation
from ..venues.models import Venue
from . import people
from .logs import local_day_bounds
from .models import CheckIn

# A visit lasts at most a day (venues' stay is capped at 24 h), which bounds the
# index range scanned for overlapping visits.
MAX_STAY = timedelta(hours=24)
MAX_CONTACTS_PER_VISIT = 500


@dataclass
class Contact:
    name: str
    phone: str  # national form, for the officer's call
    checked_in_at: datetime
    left_at: datetime
    overlap_minutes: int


@dataclass
class Visit:
    venue: str
    organisation: str
    address: str
    checked_in_at: datetime
    left_at: datetime
    contacts: list[Contact] = field(default_factory=list)
    truncated: bool = False


def _left(c: type[CheckIn]) -> object:
    return func.coalesce(c.checked_out_at, c.auto_out_at)


def exposures(
    session: Session,
    *,
    phone: str,
    secret: str,
    date_from: date,
    date_to: date,
    tz: ZoneInfo,
) -> list[Visit]:
    """The person's visits in the local date range (inclusive), each with the other
    visitors whose stay overlapped it. ``phone`` must be E.164 (people.clean_phone)."""
    digest = people.phone_hash(secret, phone)
    start = local_day_bounds(date_from, tz)[0]
    end = local_day_bounds(date_to, tz)[1]
    visits_q = (
        select(CheckIn, Venue.name, Organisation.name, Venue.address)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(
            CheckIn.phone_hash == digest,
            CheckIn.checked_in_at >= start,
            CheckIn.checked_in_at < end,
        )
        .order_by(CheckIn.checked_in_at)
    )
    other = aliased(CheckIn)
    visits: list[Visit] = []
    for row, venue, org, address in session.execute(visits_q):
        visit = Visit(venue, org, address, row.checked_in_at, row.left_at)
        contacts_q = (
            select(other)
            .where(
                other.venue_id == row.venue_id,
                other.phone_hash != digest,
                other.checked_in_at < row.left_at,
                other.checked_in_at > row.checked_in_at - MAX_STAY,
                _left(other) > row.checked_in_at,
            )
            .order_by(other.checked_in_at)
            .limit(MAX_CONTACTS_PER_VISIT + 1)
        )
        for c in session.scalars(contacts_q):
            overlap = min(c.left_at, row.left_at) - max(
                c.checked_in_at, row.checked_in_at
            )
            visit.contacts.append(
                Contact(
                    c.name,
                    people.national(c.phone),
                    c.checked_in_at,
                    c.left_at,
                    max(0, int(overlap.total_seconds() // 60)),
                )
            )
        if len(visit.contacts) > MAX_CONTACTS_PER_VISIT:
            visit.contacts = visit.contacts[:MAX_CONTACTS_PER_VISIT]
            visit.truncated = True
        visits.append(visit)
    return visits
