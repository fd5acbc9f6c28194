"""Check-in rules: record a visit (idempotent), check out, feedback, retention purge.

Services take a Session, flush, never commit; the view commits once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import Invalid, NotFound
from ..text import clean_text
from ..venues.models import Venue
from . import people
from .models import FEEDBACK_MAX, CheckIn, Feedback, FeedbackCategory

# The same phone at the same venue within this window is one visit, not two.
DEDUPE_WINDOW = timedelta(minutes=10)
FEEDBACK_PER_CHECKIN = 5


@dataclass(frozen=True)
class Visitor:
    """A visitor's details as typed; ``check`` normalises or raises Invalid."""

    name: str
    phone: str

    def check(self) -> Visitor:
        return Visitor(people.clean_name(self.name), people.clean_phone(self.phone))


def new_submission_id() -> str:
    return secrets.token_urlsafe(16)


def _new_ref() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits, 16 URL-safe characters


def check_in(
    session: Session,
    venue: Venue,
    visitor: Visitor,
    *,
    submission_id: str,
    secret: str,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Record a visit at server time; returns (check-in, created).

    A submission id seen before returns that check-in; so does the same phone at the
    same venue within DEDUPE_WINDOW. ``visitor`` must already be checked. The
    session must be a write session (BEGIN IMMEDIATE on SQLite), so the look-ups and
    the insert are one serialised step.
    """
    now = now or utcnow()
    earlier = session.scalar(
        select(CheckIn).where(CheckIn.submission_id == submission_id)
    )
    if earlier is not None:
        return earlier, False
    digest = people.phone_hash(secret, visitor.phone)
    recent = session.scalar(
        select(CheckIn)
        .where(
            CheckIn.phone_hash == digest,
            CheckIn.venue_id == venue.id,
            CheckIn.checked_in_at > now - DEDUPE_WINDOW,
            CheckIn.checked_out_at.is_(None),
        )
        .order_by(CheckIn.checked_in_at.desc())
        .limit(1)
    )
    if recent is not None:
        return recent, False
    row = CheckIn(
        venue_id=venue.id,
        public_ref=_new_ref(),
        submission_id=submission_id,
        name=visitor.name,
        name_fold=people.name_key(visitor.name),
        phone=visitor.phone,
        phone_hash=digest,
        checked_in_at=now,
        auto_out_at=now + timedelta(minutes=venue.stay_minutes),
    )
    session.add(row)
    session.flush()
    return row, True


def find_by_submission(session: Session, submission_id: str) -> CheckIn | None:
    return session.scalar(select(CheckIn).where(CheckIn.submission_id == submission_id))


def get_by_ref(session: Session, venue: Venue, ref: str) -> CheckIn:
    """The check-in behind a confirmation URL, only at that venue (else NotFound)."""
    row = session.scalar(
        select(CheckIn).where(
            CheckIn.public_ref == ref[:24], CheckIn.venue_id == venue.id
        )
    )
    if row is None:
        raise NotFound("Không tìm thấy lượt khai báo này.")
    return row


def check_out(session: Session, row: CheckIn, *, now: datetime | None = None) -> bool:
    """Check the visitor out now; False when already out (button or automatic)."""
    now = now or utcnow()
    if row.checked_out_at is not None or now >= row.auto_out_at:
        return False
    row.checked_out_at = now
    session.flush()
    return True


def add_feedback(
    session: Session, row: CheckIn, category: str, message: str
) -> Feedback:
    try:
        cat = FeedbackCategory(category)
    except ValueError:
        raise Invalid("Hãy chọn loại phản hồi.", field="category") from None
    text = clean_text(message, multiline=True)
    if not text:
        raise Invalid("Hãy viết nội dung phản hồi.", field="message")
    if len(text) > FEEDBACK_MAX:
        raise Invalid(
            f"Nội dung tối đa {FEEDBACK_MAX} ký tự (hiện có {len(text)}).",
            field="message",
        )
    sent = session.scalar(
        select(Feedback.id)
        .where(Feedback.checkin_id == row.id)
        .offset(FEEDBACK_PER_CHECKIN - 1)
        .limit(1)
    )
    if sent is not None:
        raise Invalid("Bạn đã gửi đủ số phản hồi cho lượt này.", field="message")
    fb = Feedback(venue_id=row.venue_id, checkin_id=row.id, category=cat, message=text)
    session.add(fb)
    session.flush()
    return fb


@dataclass
class PurgeResult:
    checkins: int = 0
    feedback: int = 0


def purge_batch(session: Session, cutoff: datetime, batch: int) -> PurgeResult:
    """Delete up to ``batch`` check-ins older than ``cutoff`` (and their feedback,
    and feedback older than the cutoff). Call repeatedly, committing in between, so
    no transaction holds the write lock for long."""
    old_fb = select(Feedback.id).where(Feedback.created_at < cutoff).limit(batch)
    fb = session.execute(delete(Feedback).where(Feedback.id.in_(old_fb)))
    old = select(CheckIn.id).where(CheckIn.checked_in_at < cutoff).limit(batch)
    ids = list(session.scalars(old))
    result = PurgeResult(feedback=fb.rowcount or 0)
    if ids:
        linked = session.execute(delete(Feedback).where(Feedback.checkin_id.in_(ids)))
        result.feedback += linked.rowcount or 0
        done = session.execute(delete(CheckIn).where(CheckIn.id.in_(ids)))
        result.checkins = done.rowcount or 0
    return result
