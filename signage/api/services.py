"""API clients: keys (shown once, stored hashed), look-up, revocation; the check-ins
that clients post."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..checkin import people
from ..checkin import services as checkins
from ..checkin.models import CheckIn
from ..db import utcnow
from ..errors import N_, Conflict, Invalid, NotFound
from ..text import clean_text
from ..venues.models import Venue
from .models import ApiClient, Scope

KEY_PREFIX = "sgn_"
# last_used_at is written at most this often per client (not on every request).
TOUCH_EVERY = timedelta(minutes=5)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_client(
    session: Session,
    name: str,
    scopes: list[Scope],
    organisation_id: int | None = None,
) -> tuple[ApiClient, str]:
    """A new client and its key (returned once; only its hash is stored)."""
    name = clean_text(name)
    if not 2 <= len(name) <= 120:
        raise Invalid(N_("Tên ứng dụng từ 2 đến 120 ký tự."), field="name")
    if not scopes:
        raise Invalid(N_("Hãy chọn ít nhất một quyền."), field="scopes")
    if (
        organisation_id is not None
        and session.get(Organisation, organisation_id) is None
    ):
        raise NotFound(N_("Không tìm thấy tổ chức."), field="organisation_id")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    client = ApiClient(
        name=name,
        organisation_id=organisation_id,
        key_hash=_digest(key),
        key_prefix=key[:10],
        scopes=" ".join(sorted({s.value for s in scopes})),
    )
    session.add(client)
    session.flush()
    return client, key


def authenticate(session: Session, key: str) -> ApiClient | None:
    """The active client holding this key, or None."""
    if not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_hash == _digest(key)))
    if client is None or not client.active:
        return None
    return client


def touch(session: Session, client: ApiClient, now: datetime | None = None) -> bool:
    """Record the key's use, at most every TOUCH_EVERY; True when it wrote. (On
    SQLite, a GET's read that turns into this write can lose a race with another
    writer; the request boundary runs the request again then.)"""
    now = now or utcnow()
    if client.last_used_at is not None and now - client.last_used_at <= TOUCH_EVERY:
        return False
    session.execute(
        update(ApiClient).where(ApiClient.id == client.id).values(last_used_at=now)
    )
    return True


def list_clients(session: Session) -> list[ApiClient]:
    return list(
        session.scalars(select(ApiClient).order_by(ApiClient.created_at.desc()))
    )


def revoke(session: Session, client_id: int) -> ApiClient:
    client = session.get(ApiClient, client_id)
    if client is None:
        raise NotFound(N_("Không tìm thấy ứng dụng."))
    client.active = False
    session.flush()
    return client


def visible(client: ApiClient, venue: Venue) -> bool:
    """A province-wide client sees every venue; a bound one its organisation's."""
    return client.organisation_id in (None, venue.organisation_id)


@dataclass(frozen=True)
class PostedCheckin:
    ref: str
    venue_token: str
    venue: str
    name: str
    phone: str  # masked
    checked_in_at: datetime
    auto_out_at: datetime
    created: bool


INACTIVE = N_("Địa điểm này đang tạm ngừng nhận khai báo.")


def record_checkin(
    session: Session,
    client: ApiClient,
    *,
    venue_token: str,
    name: str,
    phone: str,
    client_ref: str,
    secret: str,
) -> PostedCheckin:
    """Record a check-in a client made, at server time, once per ``client_ref``.

    ``venue_token`` is canonical. The same client_ref at the same venue returns the
    check-in it made (``created`` False), as does the same phone there within the
    dedupe window. Raises Invalid (name, phone), NotFound (no such venue for this
    client), Conflict (venue inactive or changed meanwhile, or client_ref already
    used at another venue). Writes only the check-in; the caller commits. Two
    requests racing with one client_ref at two venues: the loser's insert violates
    the unique submission id (IntegrityError), and run again it finds the winner's
    check-in here: Conflict.
    """
    visitor = checkins.Visitor(name, phone).check()
    venue = session.scalar(select(Venue).where(Venue.token == venue_token))
    if venue is None or not visible(client, venue):
        raise NotFound(N_("Không tìm thấy mã này."), field="venue_token")
    if not venue.active:
        raise Conflict(INACTIVE)
    submission = f"api:{client.id}:{client_ref}"
    used_at = session.scalar(
        select(CheckIn.venue_id).where(CheckIn.submission_id == submission)
    )
    if used_at is not None and used_at != venue.id:
        raise Conflict(
            N_("client_ref này đã dùng cho một địa điểm khác."), field="client_ref"
        )
    try:
        recorded = checkins.check_in(
            session, venue, visitor, submission_id=submission, secret=secret
        )
    except checkins.VenueChanged:  # closed or rotated since it was read above
        raise Conflict(INACTIVE) from None
    row = session.scalars(
        select(CheckIn).where(CheckIn.public_ref == recorded.public_ref)
    ).one()
    return PostedCheckin(
        ref=row.public_ref,
        venue_token=venue.token,
        venue=venue.name,
        name=row.name,
        phone=people.mask(row.phone),
        checked_in_at=row.checked_in_at,
        auto_out_at=row.auto_out_at,
        created=recorded.created,
    )
