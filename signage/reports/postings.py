"""Boards produced and boards confirmed posted: the rules, and the counts other areas
read.

- *Produced*: a venue whose board PDF (A4/A3/A5, not a bare QR) was saved for print:
  downloaded from the venue's page or made in a batch. Opening the PDF to look at it
  ("Xem trước") is logged as a preview and does not count.
- *Posted*: a venue whose manager confirmed the board is up on the wall, optionally
  with a photo of it (cleaned by :mod:`.photos`, stored through ``signage.storage``).
  Only active venues count.

Other areas read :func:`posted_venue_counts` and :func:`produced_venue_counts`
(the supervisors' dashboards); the deployment report counts the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import N_, Invalid, NotFound
from ..posters.models import BoardDownload
from ..posters.services import BOARD_SIZES
from ..screens.models import Screen
from ..storage import LocalStorage
from ..venues.models import Venue
from .models import BoardPosting

PHOTO_PREFIX = "board-photos"

# A board saved for print: a whole board (not a bare QR), not a preview.
PRODUCED = BoardDownload.size.in_(BOARD_SIZES) & BoardDownload.preview.is_(False)


def produced_venues() -> Select[Any]:
    """Ids of the venues whose board was produced (for ``IN`` or a join)."""
    return select(BoardDownload.venue_id).where(PRODUCED).distinct()


OrgIds = Iterable[int] | Select[Any]


def _in(column: Any, org_ids: OrgIds) -> Any:
    if isinstance(org_ids, Select):
        return column.in_(org_ids)
    return column.in_(list(org_ids))


def posted_venue_counts(session: Session, org_ids: OrgIds) -> dict[int, int]:
    """Active venues confirmed posted, per organisation id (organisations with none
    are absent). ``org_ids``: ids, or a SELECT of ids (a subtree's)."""
    stmt = (
        select(BoardPosting.organisation_id, func.count())
        .join(Venue, Venue.id == BoardPosting.venue_id)
        .where(Venue.active.is_(True), _in(BoardPosting.organisation_id, org_ids))
        .group_by(BoardPosting.organisation_id)
    )
    return {int(org): int(n) for org, n in session.execute(stmt)}


def produced_venue_counts(session: Session, org_ids: OrgIds) -> dict[int, int]:
    """Active venues whose board was produced for print, per organisation id."""
    stmt = (
        select(Venue.organisation_id, func.count())
        .where(
            Venue.active.is_(True),
            Venue.id.in_(produced_venues()),
            _in(Venue.organisation_id, org_ids),
        )
        .group_by(Venue.organisation_id)
    )
    return {int(org): int(n) for org, n in session.execute(stmt)}


@dataclass(frozen=True)
class SystemFigures:
    """What the system knows of one organisation (the report's prefilled part)."""

    venues: int
    boards_produced: int
    boards_posted: int
    screens_paired: int


def system_figures(session: Session, org_id: int) -> SystemFigures:
    venues = session.scalar(
        select(func.count(Venue.id)).where(
            Venue.organisation_id == org_id, Venue.active.is_(True)
        )
    )
    screens = session.scalar(
        select(func.count(Screen.id)).where(
            Screen.organisation_id == org_id, Screen.revoked_at.is_(None)
        )
    )
    return SystemFigures(
        venues=int(venues or 0),
        boards_produced=produced_venue_counts(session, [org_id]).get(org_id, 0),
        boards_posted=posted_venue_counts(session, [org_id]).get(org_id, 0),
        screens_paired=int(screens or 0),
    )


@dataclass(frozen=True)
class VenuePosting:
    """One venue's line on the organisation's report page."""

    venue_id: int
    name: str
    produced: bool
    posted_at: datetime | None
    has_photo: bool


def org_postings(session: Session, org_id: int) -> list[VenuePosting]:
    """Every active venue of the organisation, by name, with its board's state."""
    produced = exists().where(BoardDownload.venue_id == Venue.id, PRODUCED)
    stmt = (
        select(
            Venue.id,
            Venue.name,
            produced,
            BoardPosting.confirmed_at,
            BoardPosting.photo_key,
        )
        .outerjoin(BoardPosting, BoardPosting.venue_id == Venue.id)
        .where(Venue.organisation_id == org_id, Venue.active.is_(True))
        .order_by(Venue.name, Venue.id)
    )
    return [
        VenuePosting(vid, name, bool(made), at, key is not None)
        for vid, name, made, at, key in session.execute(stmt)
    ]


def _venue(session: Session, org_id: int, venue_id: int) -> Venue:
    venue = session.get(Venue, venue_id)
    if venue is None or venue.organisation_id != org_id:
        raise NotFound(N_("Không tìm thấy địa điểm."))
    return venue


def photo_key_for(org_id: int, photo: bytes) -> str:
    """Named by content: a request run again after a lost race writes the same
    file instead of leaving a second one behind."""
    return f"{PHOTO_PREFIX}/{org_id}/{hashlib.sha256(photo).hexdigest()[:40]}.jpg"


def confirm_posted(
    session: Session,
    storage: LocalStorage,
    *,
    org_id: int,
    venue_id: int,
    user_id: int | None,
    photo: bytes | None = None,
    now: datetime | None = None,
) -> BoardPosting:
    """Record that the venue's board is on the wall (again: the time and photo are
    replaced; without a new photo the earlier one stays). ``photo`` must come from
    :func:`.photos.clean_photo`; it is written now, so call this last. Raises
    NotFound for another organisation's venue, Invalid for a paused one."""
    venue = _venue(session, org_id, venue_id)
    if not venue.active:
        raise Invalid(N_("Địa điểm đang tạm ngừng: hãy mở lại trước khi xác nhận."))
    posting = session.get(BoardPosting, venue.id)
    if posting is None:
        posting = BoardPosting(venue_id=venue.id, organisation_id=org_id)
        session.add(posting)
    posting.confirmed_by = user_id
    posting.confirmed_at = now or utcnow()
    if photo is not None:
        key = photo_key_for(org_id, photo)
        if not storage.exists(key):
            storage.put(key, photo)
        # The earlier photo's file is left to purge_orphan_photos: deleting it now
        # would lose it if this transaction then rolled back.
        posting.photo_key = key
    session.flush()
    return posting


def withdraw(session: Session, *, org_id: int, venue_id: int) -> bool:
    """The board is no longer up (taken down, damaged): forget the confirmation.
    Returns whether there was one."""
    venue = _venue(session, org_id, venue_id)
    posting = session.get(BoardPosting, venue.id)
    if posting is None:
        return False
    session.delete(posting)
    session.flush()
    return True


def photo_key(session: Session, *, org_id: int, venue_id: int) -> str:
    """The storage key of the venue's board photo; NotFound when there is none."""
    venue = _venue(session, org_id, venue_id)
    posting = session.get(BoardPosting, venue.id)
    if posting is None or posting.photo_key is None:
        raise NotFound(N_("Chưa có ảnh bảng đã dán."))
    return posting.photo_key


def forget_rotated(session: Session, token: str) -> int:
    """The venue now answering to ``token`` got a new token: its posted board is
    replaced (the old one answers 410), so the confirmation no longer holds."""
    venue_id = select(Venue.id).where(Venue.token == token).scalar_subquery()
    result = session.execute(
        delete(BoardPosting).where(BoardPosting.venue_id == venue_id)
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def referenced_photo_keys(session: Session) -> set[str]:
    return set(
        session.scalars(
            select(BoardPosting.photo_key).where(BoardPosting.photo_key.is_not(None))
        )
    )
