"""Reading check-ins for the portal: filtered pages, hourly counts, exports' rows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..text import clean_text, fold
from ..venues.models import Venue
from . import people
from .models import CheckIn, Feedback

PAGE_SIZE = 50
_DIGITS = re.compile(r"\d")


@dataclass(frozen=True)
class LogFilter:
    """What the log shows: one organisation (or one of its venues), a local date
    range (inclusive), and a name or phone search."""

    org_id: int
    venue_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""


def local_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def _phone_search(text: str) -> str | None:
    """Digits to look for in E.164 numbers, or None when the search is a name."""
    compact = re.sub(r"[\s.\-()+]", "", text)
    if len(compact) < 3 or not compact.isdigit():
        return None
    try:
        return people.clean_phone(text)  # a whole number: exact match
    except Exception:  # noqa: BLE001 - partial numbers are searched as digits
        digits = compact
        if digits.startswith("0"):
            digits = "84" + digits[1:]  # national 0-prefix -> country code
        return digits


def filtered(f: LogFilter, tz: ZoneInfo) -> Select[CheckIn]:
    q = select(CheckIn).join(Venue, Venue.id == CheckIn.venue_id)
    q = q.where(Venue.organisation_id == f.org_id)
    if f.venue_id is not None:
        q = q.where(CheckIn.venue_id == f.venue_id)
    if f.date_from is not None:
        q = q.where(CheckIn.checked_in_at >= local_day_bounds(f.date_from, tz)[0])
    if f.date_to is not None:
        q = q.where(CheckIn.checked_in_at < local_day_bounds(f.date_to, tz)[1])
    text = clean_text(f.search)[:100]
    if text:
        phone = _phone_search(text)
        if phone is not None and phone.startswith("+"):
            q = q.where(CheckIn.phone == phone)
        elif phone is not None:
            q = q.where(CheckIn.phone.contains(phone, autoescape=True))
        else:
            q = q.where(CheckIn.name_fold.contains(fold(text), autoescape=True))
    return q


@dataclass
class Page:
    rows: list[tuple[CheckIn, str]]  # (check-in, venue name)
    total: int
    page: int
    pages: int


def page(session: Session, f: LogFilter, tz: ZoneInfo, number: int) -> Page:
    base = filtered(f, tz)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    q = (
        base.add_columns(Venue.name)
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .offset((number - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = [(c, n) for c, n in session.execute(q)]
    return Page(rows=rows, total=total, page=number, pages=pages)


def hourly_today(
    session: Session, org_id: int, venue_id: int | None, today: date, tz: ZoneInfo
) -> list[int]:
    """Check-ins per local hour of ``today`` (24 numbers)."""
    start, end = local_day_bounds(today, tz)
    q = (
        select(CheckIn.checked_in_at)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .where(
            Venue.organisation_id == org_id,
            CheckIn.checked_in_at >= start,
            CheckIn.checked_in_at < end,
        )
        .execution_options(yield_per=2000)
    )
    if venue_id is not None:
        q = q.where(CheckIn.venue_id == venue_id)
    counts = [0] * 24
    for at in session.scalars(q):
        counts[at.astimezone(tz).hour] += 1
    return counts


@dataclass(frozen=True)
class ExportRow:
    checked_in_at: datetime
    left_at: datetime
    by_button: bool
    venue: str
    name: str
    phone: str


def iter_export(session: Session, f: LogFilter, tz: ZoneInfo) -> Iterator[ExportRow]:
    """Every matching row in time order, fetched in batches of plain columns (flat
    memory: nothing accumulates in the session's identity map)."""
    base = filtered(f, tz).subquery()
    q = (
        select(
            base.c.checked_in_at,
            base.c.checked_out_at,
            base.c.auto_out_at,
            Venue.name,
            base.c.name,
            base.c.phone,
        )
        .join(Venue, Venue.id == base.c.venue_id)
        .order_by(base.c.checked_in_at, base.c.id)
        .execution_options(yield_per=2000)
    )
    for cin, cout, auto, venue, name, phone in session.execute(q):
        yield ExportRow(cin, cout or auto, cout is not None, venue, name, phone)


def feedback(
    session: Session, org_id: int, venue_id: int | None, limit: int = 100
) -> list[tuple[Feedback, str]]:
    q = (
        select(Feedback, Venue.name)
        .join(Venue, Venue.id == Feedback.venue_id)
        .where(Venue.organisation_id == org_id)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    if venue_id is not None:
        q = q.where(Feedback.venue_id == venue_id)
    return [(fb, n) for fb, n in session.execute(q)]


def get_checkin(
    session: Session, org_id: int, venue_id: int, checkin_id: int
) -> CheckIn | None:
    row = session.get(CheckIn, checkin_id)
    if row is None or row.venue_id != venue_id:
        return None
    venue = session.get(Venue, venue_id)
    return row if venue is not None and venue.organisation_id == org_id else None
