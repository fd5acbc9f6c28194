"""Venue rules: create, edit, deactivate, rotate tokens, resolve a scanned token."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..errors import Gone, Invalid, NotFound
from ..fonts import missing_glyphs
from . import tokens
from .models import RetiredToken, Venue, VenueCategory

NAME_MAX = 120


def unprintable(text: str) -> str:
    """A message naming the characters the printed board cannot draw (its font has
    no glyph for them: Arabic, Chinese, emoji...), or "" when all are printable.
    Refused when a venue is saved or imported, so no board prints a blank name."""
    lacking = missing_glyphs(text)
    if not lacking:
        return ""
    shown = " ".join(sorted(lacking)[:8])
    return (
        f"Bảng in không có phông cho các ký tự: {shown}. Hãy viết tên bằng chữ "
        "tiếng Việt hoặc chữ Latinh."
    )


STAY_MIN, STAY_MAX = 5, 24 * 60


@dataclass
class VenueData:
    name: str
    address: str = ""
    ward_code: int | None = None
    category: VenueCategory = VenueCategory.OTHER
    stay_minutes: int = 60

    def check(self) -> None:
        if not self.name:
            raise Invalid("Hãy nhập tên địa điểm.", field="name")
        if len(self.name) > NAME_MAX:
            raise Invalid(f"Tên tối đa {NAME_MAX} ký tự.", field="name")
        for field, text in (("name", self.name), ("address", self.address)):
            message = unprintable(text)
            if message:
                raise Invalid(message, field=field)
        if not STAY_MIN <= self.stay_minutes <= STAY_MAX:
            raise Invalid(
                f"Thời gian lưu lại từ {STAY_MIN} đến {STAY_MAX} phút.",
                field="stay_minutes",
            )


def _token_taken(session: Session, token: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(Venue.token == token)
                | exists().where(RetiredToken.token == token)
            )
        )
    )


def fresh_token(session: Session, reserved: set[str] | None = None) -> str:
    """A token no venue has ever used (50 random bits: a retry is near impossible)."""
    reserved = reserved or set()
    while True:
        token = tokens.new_token()
        if token not in reserved and not _token_taken(session, token):
            return token


def create_venue(session: Session, org: Organisation, data: VenueData) -> Venue:
    data.check()
    venue = Venue(organisation_id=org.id, token=fresh_token(session), **data.__dict__)
    session.add(venue)
    session.flush()
    return venue


def create_venues(
    session: Session,
    org: Organisation,
    rows: Iterable[VenueData],
    created: list[Venue] | None = None,
) -> int:
    """Bulk insert (CSV import): one flush, tokens checked against the table once.
    The new venues are appended to ``created`` when given."""
    existing = set(session.scalars(select(Venue.token)))
    existing |= set(session.scalars(select(RetiredToken.token)))
    count = 0
    batch: list[Venue] = []
    for data in rows:
        data.check()
        token = tokens.new_token()
        while token in existing:
            token = tokens.new_token()
        existing.add(token)
        batch.append(Venue(organisation_id=org.id, token=token, **data.__dict__))
        count += 1
    session.add_all(batch)
    session.flush()
    if created is not None:
        created.extend(batch)
    return count


def update_venue(session: Session, venue: Venue, data: VenueData) -> Venue:
    data.check()
    for key, value in data.__dict__.items():
        setattr(venue, key, value)
    session.flush()
    return venue


def set_active(session: Session, venue: Venue, active: bool) -> None:
    venue.active = active
    session.flush()


def rotate_token(session: Session, venue: Venue) -> str:
    """Give the venue a new token; the old one answers 'this board was replaced'."""
    session.add(RetiredToken(token=venue.token, venue_id=venue.id))
    venue.token = fresh_token(session)
    session.flush()
    return venue.token


def orgs_with_venue_counts(session: Session) -> list[tuple[Organisation, int]]:
    """Every organisation with its number of venues, by name."""
    counts = (
        select(Venue.organisation_id, func.count(Venue.id).label("n"))
        .group_by(Venue.organisation_id)
        .subquery()
    )
    rows = session.execute(
        select(Organisation, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.organisation_id == Organisation.id)
        .order_by(Organisation.name)
    )
    return [(org, int(n)) for org, n in rows]


def get_venue(session: Session, venue_id: int, org_id: int | None = None) -> Venue:
    """The venue, optionally only if it belongs to ``org_id`` (else NotFound)."""
    venue = session.get(Venue, venue_id)
    if venue is None or (org_id is not None and venue.organisation_id != org_id):
        raise NotFound("Không tìm thấy địa điểm.")
    return venue


def resolve_token(session: Session, raw: str) -> Venue:
    """The venue a scanned or typed token belongs to.

    Raises NotFound for a token never issued and Gone for one that was rotated out.
    The venue may be inactive: callers decide what an inactive venue shows.
    """
    token = tokens.normalise(raw)
    if token is None:
        raise NotFound("Mã không hợp lệ.")
    venue = session.scalar(select(Venue).where(Venue.token == token))
    if venue is not None:
        return venue
    if session.get(RetiredToken, token) is not None:
        raise Gone("Bảng mã này đã được thay thế.")
    raise NotFound("Không tìm thấy mã này.")


def list_venues(
    session: Session, org_id: int | None = None, *, include_inactive: bool = True
) -> list[Venue]:
    q = select(Venue).order_by(Venue.name, Venue.id)
    if org_id is not None:
        q = q.where(Venue.organisation_id == org_id)
    if not include_inactive:
        q = q.where(Venue.active.is_(True))
    return list(session.scalars(q))
