"""Reminders to laggards: at most one per organisation every N days, each logged
(``reminders``: who, when, what was missing, how many addresses; no address
itself)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..posters.models import BoardDownload
from ..posters.services import BOARD_SIZES
from ..venues.models import Venue
from .figures import OrgRow
from .models import Reminder

MISSING_VENUES_LISTED = 20  # venues without a board named in one mail


def last_sent(session: Session, org_ids: list[int]) -> dict[int, datetime]:
    """Each organisation's latest reminder."""
    out: dict[int, datetime] = {}
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start : start + 500]
        out.update(
            session.execute(
                select(Reminder.organisation_id, func.max(Reminder.created_at))
                .where(Reminder.organisation_id.in_(chunk))
                .group_by(Reminder.organisation_id)
            ).all()
        )
    return out


def venues_without_board(session: Session, org_id: int) -> list[str]:
    """Names of the organisation's active venues with no board produced yet."""
    boarded = select(BoardDownload.venue_id).where(
        BoardDownload.organisation_id == org_id, BoardDownload.size.in_(BOARD_SIZES)
    )
    return list(
        session.scalars(
            select(Venue.name)
            .where(Venue.organisation_id == org_id, Venue.active.is_(True))
            .where(Venue.id.not_in(boarded))
            .order_by(Venue.name)
            .limit(MISSING_VENUES_LISTED + 1)
        )
    )


@dataclass
class Plan:
    send: list[OrgRow] = field(default_factory=list)
    throttled: list[OrgRow] = field(default_factory=list)


def plan(
    session: Session,
    laggards: list[OrgRow],
    *,
    chosen: set[int] | None,
    now: datetime,
    every_days: int,
) -> Plan:
    """Which of the laggards (the ``chosen`` ones, or all) get a reminder now; the
    ones reminded within ``every_days`` are held back."""
    rows = [r for r in laggards if chosen is None or r.id in chosen]
    last = last_sent(session, [r.id for r in rows])
    limit = now - timedelta(days=every_days)
    out = Plan()
    for r in rows:
        at = last.get(r.id)
        (out.throttled if at is not None and at > limit else out.send).append(r)
    return out


def log(
    session: Session,
    org_id: int,
    *,
    missing: list[str],
    recipients: int,
    sent_by: int | None,
) -> Reminder:
    reminder = Reminder(
        organisation_id=org_id,
        sent_by=sent_by,
        missing=",".join(missing)[:120],
        recipients=recipients,
    )
    session.add(reminder)
    session.flush()
    return reminder
