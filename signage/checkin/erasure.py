"""Erasing check-ins on request: a resident deletes their own, the province admin
deletes a phone number's for a data-subject request. Rules only (a Session, flush,
never commit); after the commit the rows are scrubbed from the files (erase.py).

Audit rows name the check-in by id and the venue, never the name or the phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from .. import audit, erase
from ..venues.models import Venue
from . import people
from .models import CheckIn, Feedback

TABLES = (CheckIn.__tablename__, Feedback.__tablename__)


def delete_own(session: Session, row: CheckIn) -> None:
    """The visitor deletes their check-in (and its feedback) from its confirmation
    page; the caller has checked that this browser made it."""
    session.execute(delete(Feedback).where(Feedback.checkin_id == row.id))
    session.execute(delete(CheckIn).where(CheckIn.id == row.id))
    audit.record(
        session,
        user_id=None,
        action="checkins.delete.visitor",
        target=f"checkin:{row.id}",
        venue_id=row.venue_id,
    )
    erase.after_commit(session, TABLES)


@dataclass(frozen=True)
class Visit:
    """One check-in found for a data-subject request: where and when, no name."""

    id: int
    venue: str
    checked_in_at: datetime
    feedback: int


def _by_phone(phone: str, secret: str) -> Any:
    return CheckIn.phone_hash == people.phone_hash(secret, phone)


def find_by_phone(session: Session, phone: str, *, secret: str) -> list[Visit]:
    """Every check-in of an E.164 ``phone`` (by its keyed hash), newest first."""
    fb = (
        select(func.count(Feedback.id))
        .where(Feedback.checkin_id == CheckIn.id)
        .scalar_subquery()
    )
    rows = session.execute(
        select(CheckIn.id, Venue.name, CheckIn.checked_in_at, fb)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .where(_by_phone(phone, secret))
        .order_by(CheckIn.checked_in_at.desc())
    ).all()
    return [Visit(r[0], r[1], r[2], int(r[3] or 0)) for r in rows]


@dataclass(frozen=True)
class Erased:
    checkins: int
    feedback: int
    ids: Sequence[int]


def erase_by_phone(session: Session, phone: str, *, secret: str) -> Erased:
    """Delete every check-in of ``phone`` and their feedback (a data-subject
    request; the caller audits); scrubbed from the files after the commit."""
    ids = list(session.scalars(select(CheckIn.id).where(_by_phone(phone, secret))))
    if not ids:
        return Erased(0, 0, [])
    fb = cast(
        CursorResult[Any],
        session.execute(delete(Feedback).where(Feedback.checkin_id.in_(ids))),
    )
    done = cast(
        CursorResult[Any],
        session.execute(delete(CheckIn).where(CheckIn.id.in_(ids))),
    )
    erase.after_commit(session, TABLES)
    return Erased(int(done.rowcount or 0), int(fb.rowcount or 0), ids)
