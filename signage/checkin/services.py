"""Check-in rules: record a visit (idempotent), check out, feedback, retention purge.

Services take a Session, flush, never commit; the view commits once. The one
exception is by design: ``check_in`` may also run on an autocommit connection, where
its single INSERT ... SELECT statement is the whole transaction (see gate.py).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import (
    Connection,
    CursorResult,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..db import utcnow
from ..errors import Gone, Invalid, NotFound
from ..text import clean_text
from ..venues.models import Venue
from . import people
from .models import FEEDBACK_MAX, CheckIn, Feedback, FeedbackCategory
from .people import N_

# The same person (phone and name) at the same venue within this window is one visit,
# not two. A phone is not a person: a parent checks a child in on their own phone.
DEDUPE_WINDOW = timedelta(minutes=10)
FEEDBACK_PER_CHECKIN = 5


@dataclass(frozen=True)
class Visitor:
    """A visitor's details as typed; ``check`` normalises or raises Invalid."""

    name: str
    phone: str

    def check(self) -> Visitor:
        return Visitor(people.clean_name(self.name), people.clean_phone(self.phone))


@dataclass(frozen=True)
class PublicVenue:
    """What the public pages need of a venue, read as plain columns (the scan page
    is the hottest path in the system: no ORM identity map, no relationship load)."""

    id: int
    token: str
    name: str
    organisation: str
    address: str
    ward_code: int | None
    active: bool
    stay_minutes: int


class Stay(Protocol):
    """A venue as a check-in needs it: a Venue row or a frozen PublicVenue."""

    @property
    def id(self) -> int: ...
    @property
    def token(self) -> str: ...
    @property
    def stay_minutes(self) -> int: ...


class VenueChanged(Gone):
    """The venue is no longer as the caller read it (token rotated, closed, or its
    stay length edited): read it again."""


# Built once: building a statement costs more than running it on SQLite.
BY_TOKEN = (
    select(
        Venue.id,
        Venue.token,
        Venue.name,
        Organisation.name,
        Venue.address,
        Venue.ward_code,
        Venue.active,
        Venue.stay_minutes,
    )
    .join(Organisation, Organisation.id == Venue.organisation_id)
    .where(Venue.token == bindparam("token"))
)
_SAME_FORM = and_(
    CheckIn.submission_id == bindparam("submission_id"),
    CheckIn.venue_id == bindparam("venue_id"),
)
# The same person: one phone shared by a family or a group is several people, told
# apart by the name as stored (already normalised: NFC, single spaces), through its
# keyed hash (the name itself is encrypted). Not the accent-folded name: "Văn An" and
# "Văn Ân" are two children.
_SAME_PERSON = and_(
    CheckIn.phone_hash == bindparam("phone_hash"),
    CheckIn.name_hash == bindparam("name_hash"),
)
_SAME_VISIT = and_(
    _SAME_PERSON,
    CheckIn.checked_in_at > bindparam("since"),
    # "+ 0" keeps the planner on the (phone_hash, time) index: on (venue, time) it
    # would scan every check-in of a busy venue's last ten minutes on each insert.
    CheckIn.venue_id + 0 == bindparam("venue_id"),
    CheckIn.checked_out_at.is_(None),
)
_COLUMNS = (
    "venue_id",
    "public_ref",
    "submission_id",
    "name",
    "phone",
    "phone_hash",
    "name_hash",
    "checked_in_at",
    "auto_out_at",
)
# The venue is still the one the caller read: same token, open, same stay length (it
# may have changed since the public POST read it).
_VENUE_AS_READ = exists().where(
    Venue.id == bindparam("venue_id"),
    Venue.token == bindparam("token"),
    Venue.active.is_(True),
    Venue.stay_minutes == bindparam("stay_minutes"),
)
# INSERT ... SELECT <values> WHERE <venue as read> AND NOT EXISTS (<the same visit>):
# the checks and the insert are one statement, so on SQLite the write lock is held only
# while the engine runs it (no Python in between), and it needs no enclosing
# transaction.
_INSERT_NEW = (
    insert(CheckIn)
    .from_select(
        list(_COLUMNS),
        select(
            *(bindparam(c, type_=CheckIn.__table__.c[c].type) for c in _COLUMNS)
        ).where(
            _VENUE_AS_READ, ~exists().where(_SAME_FORM), ~exists().where(_SAME_VISIT)
        ),
    )
    .execution_options(
        # psycopg reports an INSERT's rowcount only when asked to keep it (SQLAlchemy
        # otherwise answers -1 there), and "was a row inserted" is what tells a new
        # check-in from a repeated one.
        preserve_rowcount=True
    )
)
# What a repeated form is shown: only ever the same person's check-in. A form sent
# again with another name (the browser's Back button keeps the hidden submission id)
# finds nothing here and is recorded anew under a fresh id.
_EARLIER = (
    select(CheckIn.public_ref)
    .where(or_(and_(_SAME_FORM, _SAME_PERSON), _SAME_VISIT))
    .order_by(CheckIn.checked_in_at.desc())
    .limit(1)
)


def public_venue(conn: Connection | Session, token: str) -> PublicVenue | None:
    """The venue a canonical token names, or None (see venues.resolve_token for
    telling a retired token from an unknown one)."""
    if isinstance(conn, Session):
        conn = conn.connection()
    row = conn.execute(BY_TOKEN, {"token": token}).first()
    return public_venue_from_row(tuple(row)) if row is not None else None


def public_venue_from_row(row: tuple[Any, ...]) -> PublicVenue:
    """A row of BY_TOKEN as a PublicVenue (also from a bare DBAPI cursor, whose
    SQLite booleans are 0/1)."""
    vid, token, name, org, address, ward, active, stay = row
    return PublicVenue(vid, token, name, org, address, ward, bool(active), stay)


def new_submission_id() -> str:
    return secrets.token_urlsafe(16)


def _new_ref() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits, 16 URL-safe characters


@dataclass(frozen=True)
class Recorded:
    public_ref: str
    created: bool


def check_in(
    conn: Connection | Session,
    venue: Stay,
    visitor: Visitor,
    *,
    submission_id: str,
    secret: str,
    now: datetime | None = None,
) -> Recorded:
    """Record a visit at server time, unless it is already recorded.

    The same submission id at this venue, for the same person, returns that
    check-in (a double tap, a retried POST); so does the same person (phone and
    name) at the same venue within DEDUPE_WINDOW unless they checked out. Another
    name on the same phone is another person: a new check-in, never the first
    one's. ``visitor`` must already be checked. Raises VenueChanged
    when the venue no longer has ``venue``'s token, is closed or has another stay
    length (nothing is written).

    Works on an autocommit connection (the public POST: one atomic statement, the
    shortest possible write lock) or inside a Session's transaction. Submission ids
    are unique per venue: one replayed at another venue is a new check-in there. Two
    identical forms at the very same moment on PostgreSQL: the second raises
    IntegrityError (the transaction boundary runs the request again, and it then
    finds the first).
    """
    now = now or utcnow()
    if isinstance(conn, Session):
        conn = conn.connection()
    ref, digest = _new_ref(), people.phone_hash(secret, visitor.phone)
    params = {
        "venue_id": venue.id,
        "public_ref": ref,
        "submission_id": submission_id,
        "name": visitor.name,
        "phone": visitor.phone,
        "phone_hash": digest,
        "name_hash": people.name_hash(secret, visitor.name),
        "checked_in_at": now,
        "auto_out_at": now + timedelta(minutes=venue.stay_minutes),
        "since": now - DEDUPE_WINDOW,
        "token": venue.token,
        "stay_minutes": venue.stay_minutes,
    }
    with _one_phone_at_a_time(conn, venue.id, digest):
        if conn.execute(_INSERT_NEW, params).rowcount == 1:
            return Recorded(ref, True)
        earlier = conn.execute(_EARLIER, params).scalar()
    if earlier is not None:
        return Recorded(earlier, False)
    if not conn.execute(select(_VENUE_AS_READ), params).scalar():
        raise VenueChanged(N_("Địa điểm này vừa thay đổi. Hãy quét lại mã."))
    # Checked out in between, or the form was reused for someone else: record anew.
    return check_in(
        conn, venue, visitor, submission_id=new_submission_id(), secret=secret
    )


@contextmanager
def _one_phone_at_a_time(
    conn: Connection, venue_id: int, phone_hash: str
) -> Iterator[None]:
    """Serialise check-ins of one phone at one venue where the database does not.

    SQLite runs the INSERT ... SELECT under its single write lock: the look-up and the
    insert are atomic. PostgreSQL (READ COMMITTED) lets two such statements run at once,
    each seeing no earlier visit, so both would insert: an advisory lock on (venue,
    phone) makes the second wait and then see the first. Held for the transaction in a
    Session, for the block on an autocommit connection.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    digest = hashlib.blake2b(f"{venue_id}:{phone_hash}".encode(), digest_size=8)
    key = {"k": int.from_bytes(digest.digest(), "big", signed=True)}
    # psycopg's connection has .autocommit; the DBAPI type SQLAlchemy gives does not.
    if not conn.connection.dbapi_connection.autocommit:  # type: ignore[union-attr]
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), key)
        yield
        return
    conn.execute(text("SELECT pg_advisory_lock(:k)"), key)
    try:
        yield
    finally:
        # A connection the server cut (a restart) took its lock with it; using it
        # again would raise PendingRollbackError and hide the error that cut it (a
        # 503 for the resident would become a 500).
        if not conn.invalidated:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), key)


def get_by_ref(session: Session, venue: Stay, ref: str) -> CheckIn:
    """The check-in behind a confirmation URL, only at that venue (else NotFound)."""
    row = session.scalar(
        select(CheckIn).where(
            CheckIn.public_ref == ref[:24], CheckIn.venue_id == venue.id
        )
    )
    if row is None:
        raise NotFound(N_("Không tìm thấy lượt khai báo này."))
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
        raise Invalid(N_("Hãy chọn loại phản hồi."), field="category") from None
    text = clean_text(message, multiline=True)
    if not text:
        raise Invalid(N_("Hãy viết nội dung phản hồi."), field="message")
    if len(text) > FEEDBACK_MAX:
        raise Invalid(N_("Nội dung tối đa 1000 ký tự."), field="message")
    sent = session.scalar(
        select(Feedback.id)
        .where(Feedback.checkin_id == row.id)
        .offset(FEEDBACK_PER_CHECKIN - 1)
        .limit(1)
    )
    if sent is not None:
        raise Invalid(N_("Bạn đã gửi đủ số phản hồi cho lượt này."), field="message")
    fb = Feedback(venue_id=row.venue_id, checkin_id=row.id, category=cat, message=text)
    session.add(fb)
    session.flush()
    return fb


@dataclass
class PurgeResult:
    checkins: int = 0
    feedback: int = 0


def purge_batch(
    session: Session, cutoff: datetime, batch: int, *, max_id: int | None = None
) -> PurgeResult:
    """Delete up to ``batch`` check-ins older than ``cutoff`` (the oldest first, and
    none with an id above ``max_id``), their feedback, and up to ``batch`` feedback
    older than the cutoff. Call repeatedly, committing in between, so no transaction
    holds the write lock for long (see purge.py, which sizes the batches).

    The ids are chosen inside each statement (no round trip through Python with the
    write lock held); a check-in's feedback goes with it by ON DELETE CASCADE and is
    counted just before."""
    old_fb = select(Feedback.id).where(Feedback.created_at < cutoff).limit(batch)
    fb = cast(
        CursorResult[Any],
        session.execute(delete(Feedback).where(Feedback.id.in_(old_fb))),
    )
    old = select(CheckIn.id).where(CheckIn.checked_in_at < cutoff)
    if max_id is not None:
        old = old.where(CheckIn.id <= max_id)
    old = old.order_by(CheckIn.checked_in_at).limit(batch)
    linked = session.scalar(
        select(func.count(Feedback.id)).where(Feedback.checkin_id.in_(old))
    )
    done = cast(  # a DML statement gives a CursorResult
        CursorResult[Any],
        session.execute(
            delete(CheckIn)
            .where(CheckIn.id.in_(old))
            .execution_options(synchronize_session=False)
        ),
    )
    return PurgeResult(
        checkins=done.rowcount or 0, feedback=(fb.rowcount or 0) + int(linked or 0)
    )
