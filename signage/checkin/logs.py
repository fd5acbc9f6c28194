"""Reading check-ins for the portal: filtered pages, hourly counts, exports' rows."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
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


Match = Callable[[str, str], bool]  # (name, phone) -> shown


def matcher(search: str) -> Match | None:
    """What a search keeps, on decrypted names and phones, or None for no search.

    Names and phones are encrypted at rest (signage/crypto.py), so the search runs
    in Python over the rows the other filters (organisation, venue, dates: SQL, on
    indexes) leave: a whole number matches exactly, a part of one as digits, any
    other text as part of the accent- and case-folded name."""
    text = clean_text(search)[:100]
    if not text:
        return None
    phone = _phone_search(text)
    if phone is not None and phone.startswith("+"):
        return lambda _name, p: p == phone
    if phone is not None:
        return lambda _name, p: phone in p
    key = fold(text)
    return lambda name, _p: key in people.name_key(name)


def filtered(f: LogFilter, tz: ZoneInfo) -> Select[CheckIn]:
    """The rows of the organisation, venue and dates (not the search: matcher)."""
    q = select(CheckIn).join(Venue, Venue.id == CheckIn.venue_id)
    q = q.where(Venue.organisation_id == f.org_id)
    if f.venue_id is not None:
        q = q.where(CheckIn.venue_id == f.venue_id)
    if f.date_from is not None:
        q = q.where(CheckIn.checked_in_at >= local_day_bounds(f.date_from, tz)[0])
    if f.date_to is not None:
        q = q.where(CheckIn.checked_in_at < local_day_bounds(f.date_to, tz)[1])
    return q


def _matching(
    session: Session, f: LogFilter, tz: ZoneInfo, match: Match
) -> Generator[int, None, None]:
    """Ids of the searched rows, newest first, decrypted in batches as they come."""
    q = (
        filtered(f, tz)
        .with_only_columns(CheckIn.id, CheckIn.name, CheckIn.phone)
        .order_by(CheckIn.checked_in_at.desc(), CheckIn.id.desc())
        .execution_options(yield_per=2000)
    )
    # Closed with the generator: a caller that stops early (count_upto) must not
    # leave PostgreSQL's server-side cursor open.
    with session.execute(q) as result:
        for id_, name, phone in result:
            if match(name, phone):
                yield id_


def count_upto(session: Session, f: LogFilter, tz: ZoneInfo, limit: int) -> int:
    """The number of matching rows, counted no further than ``limit`` (enough to
    choose between streaming an export and running it as a job, cheaply)."""
    match = matcher(f.search)
    if match is not None:
        with closing(_matching(session, f, tz, match)) as ids:
            return sum(1 for _ in itertools.islice(ids, limit))
    capped = filtered(f, tz).with_only_columns(CheckIn.id).limit(limit).subquery()
    return int(session.scalar(select(func.count()).select_from(capped)) or 0)


@dataclass
class Page:
    rows: list[tuple[CheckIn, str]]  # (check-in, venue name)
    total: int
    page: int
    pages: int


def page(session: Session, f: LogFilter, tz: ZoneInfo, number: int) -> Page:
    base = filtered(f, tz)
    match = matcher(f.search)
    ids: list[int] = []
    if match is None:
        total = int(
            session.scalar(select(func.count()).select_from(base.subquery())) or 0
        )
    else:
        ids = list(_matching(session, f, tz, match))
        total = len(ids)
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    q = base.add_columns(Venue.name).order_by(
        CheckIn.checked_in_at.desc(), CheckIn.id.desc()
    )
    if match is None:
        q = q.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    else:
        q = q.where(CheckIn.id.in_(ids[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]))
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
    memory: nothing accumulates in the session's identity map) and decrypted as
    they stream."""
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
    match = matcher(f.search)
    for cin, cout, auto, venue, name, phone in session.execute(q):
        if match is not None and not match(name, phone):
            continue
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
