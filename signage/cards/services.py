"""Personal cards: make, resolve what a scanner read, record the visit, forget.

The card carries only a random code; the name and phone stay on the server, so a
lost or photographed card reveals nothing, and deleting the card (by its owner, or
after CARDS_RETENTION_DAYS unused) ends it everywhere.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from .. import erase
from ..checkin import people
from ..checkin import services as checkins
from ..db import utcnow
from ..errors import N_, Gone, NotFound
from ..venues.models import Venue
from ..venues.tokens import ALPHABET, CONFUSABLES
from .models import CODE_LENGTH, PersonalCard

# A scanner types the whole URL (…/P/CODE); a person may type the code with spaces.
_CODE_IN = re.compile(rf"(?:/P/)?([{ALPHABET}\s\-]{{{CODE_LENGTH},40}})\s*$", re.I)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(scanned: str) -> str | None:
    """The card code in what a scanner or a person entered, or None."""
    text = (scanned or "").strip().upper().translate(CONFUSABLES)
    if len(text) > 300:
        return None
    match = _CODE_IN.search(text)
    if match is None:
        return None
    code = re.sub(r"[\s\-]", "", match.group(1))
    return code if len(code) == CODE_LENGTH and set(code) <= set(ALPHABET) else None


def create_card(
    session: Session, visitor: checkins.Visitor, *, secret: str
) -> PersonalCard:
    """``visitor`` must already be checked (normalised name and E.164 phone);
    ``secret`` keys the phone's hash (as on check-ins)."""
    now = utcnow()
    card = PersonalCard(
        code=new_code(),
        name=visitor.name,
        phone=visitor.phone,
        phone_hash=people.phone_hash(secret, visitor.phone),
        last_used_at=now,
    )
    session.add(card)
    session.flush()
    return card


def get_card(session: Session, code: str) -> PersonalCard:
    card = session.scalar(select(PersonalCard).where(PersonalCard.code == code))
    if card is None:
        raise NotFound(N_("Thẻ không hợp lệ hoặc đã bị xoá."))
    return card


def scan(
    session: Session,
    venue: Venue,
    scanned: str,
    *,
    secret: str,
    now: datetime | None = None,
) -> tuple[PersonalCard, checkins.Recorded]:
    """Check the card's holder in at the venue (staff scanned the card)."""
    code = normalise(scanned)
    if code is None:
        raise NotFound(N_("Không đọc được mã thẻ. Hãy quét lại."))
    card = get_card(session, code)
    if not venue.active:
        raise Gone(N_("Địa điểm này đang tạm ngừng nhận khai báo."))
    now = now or utcnow()
    # One submission per card, venue and minute: a double scan is one visit (the
    # check-in service also folds the same phone within 10 minutes into one).
    submission = f"card:{card.id}:{venue.id}:{now:%Y%m%d%H%M}"
    recorded = checkins.check_in(
        session,
        venue,
        checkins.Visitor(card.name, card.phone),
        submission_id=submission,
        secret=secret,
        now=now,
    )
    card.last_used_at = now
    session.flush()
    return card, recorded


def delete_card(session: Session, code: str) -> None:
    """Delete the card (its holder asked); once committed, its name and phone are
    scrubbed from the database files (signage/erase.py)."""
    session.execute(delete(PersonalCard).where(PersonalCard.code == code))
    erase.after_commit(session, (PersonalCard.__tablename__,))


def purge(session: Session, cutoff: datetime) -> int:
    """Delete cards not used since ``cutoff``."""
    result = cast(  # a DML statement gives a CursorResult
        CursorResult[Any],
        session.execute(delete(PersonalCard).where(PersonalCard.last_used_at < cutoff)),
    )
    return int(result.rowcount or 0)


def find_by_phone(session: Session, phone: str, *, secret: str) -> int:
    """How many cards an E.164 ``phone`` has (a data-subject request)."""
    return len(_by_phone(session, phone, secret))


def erase_by_phone(session: Session, phone: str, *, secret: str) -> int:
    """Delete every card of an E.164 ``phone`` (a data-subject request); scrubbed
    from the files after the commit."""
    ids = _by_phone(session, phone, secret)
    if ids:
        session.execute(delete(PersonalCard).where(PersonalCard.id.in_(ids)))
        erase.after_commit(session, (PersonalCard.__tablename__,))
    return len(ids)


def _by_phone(session: Session, phone: str, secret: str) -> list[int]:
    # By its keyed hash: the number itself is encrypted (never equal in SQL).
    digest = people.phone_hash(secret, phone)
    return list(
        session.scalars(
            select(PersonalCard.id).where(PersonalCard.phone_hash == digest)
        )
    )
