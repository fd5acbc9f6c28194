"""Board rules: which venues a batch prints, what a board says, the download log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, func, insert, select
from sqlalchemy.orm import Session

from .. import geo
from ..accounts.models import Organisation
from ..campaign import Identity
from ..campaign import current as current_campaign
from ..errors import Invalid
from ..fonts import ASSETS_DIR
from ..storage import LocalStorage, StorageError
from ..venues.models import Venue
from . import pdf
from .models import BoardDownload

BOARD_SIZES = tuple(pdf.SIZES)
QR_FORMATS = ("png", "svg")
_INSERT_CHUNK = 1000
_YIELD_PER = 500
DEFAULT_LOGO = "logo.png"


class NotReady(Invalid):
    """Production boards while a campaign setting is still a placeholder."""


def campaign(
    session: Session | Connection,
    config: Mapping[str, Any],
    storage: LocalStorage | None = None,
) -> pdf.Campaign:
    """The campaign identity in force (signage.campaign.current) as the board draws
    it, with the logo's bytes read from ``storage`` (the bundled logo when none was
    uploaded).

    Raises NotReady in production while a placeholder is in force, naming what to
    set and where; Invalid when the uploaded logo's file is gone.
    """
    identity = current_campaign(session, config)
    missing = identity.missing()
    if config.get("ENV") == "production" and missing:
        raise NotReady(
            "Chưa thể in bảng: chiến dịch còn dùng giá trị mẫu. Quản trị tỉnh hãy "
            "đặt trong Cài đặt chiến dịch (/admin/campaign): " + "; ".join(missing)
        )
    return board_campaign(identity, config, logo=logo_for(identity.logo_key, storage))


def logo_for(key: str | None, storage: LocalStorage | None) -> bytes:
    if key and storage is not None:
        try:
            with storage.open(key) as f:
                return f.read()
        except (FileNotFoundError, StorageError) as e:
            raise Invalid(
                "Không đọc được tệp logo của chiến dịch: hãy tải logo lên lại trong "
                "Cài đặt chiến dịch."
            ) from e
    return default_logo()


@lru_cache(maxsize=1)
def default_logo() -> bytes:
    return (ASSETS_DIR / DEFAULT_LOGO).read_bytes()


def board_campaign(
    identity: Identity, config: Mapping[str, Any], *, logo: bytes | None
) -> pdf.Campaign:
    """Plain board data from an identity (also the settings page's preview)."""
    days = int(config.get("RETENTION_DAYS") or 28)
    return pdf.Campaign(
        title=identity.title,
        base_url=str(config["PUBLIC_BASE_URL"]),
        authority=identity.authority,
        color=identity.color,
        accent=identity.accent,
        logo=logo,
        app_name=identity.app_name,
        app_url=identity.app_url,
        alternative=identity.alternative(),
        english=identity.english,
        privacy=identity.retention_text(days),
    )


def check_size(size: str) -> str:
    if size not in BOARD_SIZES:
        raise Invalid("Khổ bảng không hợp lệ.")
    return size


def full_address(address: str, ward_code: int | None) -> str:
    ward = geo.ward_name(ward_code)
    if ward and ward not in address:
        return f"{address}, {ward}" if address else ward
    return address


def board(venue: Venue, org: Organisation, today: date) -> pdf.Board:
    return pdf.Board(
        name=venue.name,
        organisation=org.name,
        address=full_address(venue.address, venue.ward_code),
        token=venue.token,
        generated=today,
    )


def iter_org_boards(
    session: Session, org: Organisation, today: date, seen: list[int] | None = None
) -> Iterator[pdf.Board]:
    """The boards of an organisation's active venues, ordered by name, streamed from
    the database in chunks (plain rows, no ORM identity map), so memory does not
    grow with the number of venues. Each venue id is appended to ``seen``."""
    q = (
        select(Venue.id, Venue.name, Venue.address, Venue.ward_code, Venue.token)
        .where(Venue.organisation_id == org.id, Venue.active.is_(True))
        .order_by(Venue.name, Venue.id)
        .execution_options(yield_per=_YIELD_PER)
    )
    for venue_id, name, address, ward_code, token in session.execute(q):
        if seen is not None:
            seen.append(venue_id)
        yield pdf.Board(
            name=name,
            organisation=org.name,
            address=full_address(address, ward_code),
            token=token,
            generated=today,
        )


def count_org_boards(session: Session, org_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Venue.id)).where(
                Venue.organisation_id == org_id, Venue.active.is_(True)
            )
        )
        or 0
    )


def record_downloads(
    session: Session,
    venue_ids: Iterable[int],
    *,
    organisation_id: int,
    size: str,
    user_id: int | None,
    batch: bool = False,
    preview: bool = False,
) -> int:
    """One BoardDownload row per venue (bulk inserts in chunks); flushed, not
    committed. ``preview``: opened to look at, not saved for print (the reports do
    not count it). Returns the number of rows."""
    rows: list[dict[str, Any]] = []
    count = 0
    for venue_id in venue_ids:
        rows.append(
            {
                "venue_id": venue_id,
                "organisation_id": organisation_id,
                "size": size,
                "user_id": user_id,
                "batch": batch,
                "preview": preview,
            }
        )
        if len(rows) >= _INSERT_CHUNK:
            session.execute(insert(BoardDownload), rows)
            count += len(rows)
            rows = []
    if rows:
        session.execute(insert(BoardDownload), rows)
        count += len(rows)
    session.flush()
    return count


@dataclass(frozen=True)
class Scope:
    """Which venues an admin batch prints: a ward, a kind of organisation, or (both
    empty) every organisation of the province."""

    province_code: int
    ward_code: int | None = None
    kind: str | None = None


def _scope_query(scope: Scope) -> Select[int, str]:
    q = (
        select(Organisation.id, Organisation.name)
        .join(Venue, Venue.organisation_id == Organisation.id)
        .where(Organisation.province_code == scope.province_code)
        .where(Venue.active.is_(True))
    )
    if scope.ward_code is not None:
        q = q.where(Venue.ward_code == scope.ward_code)
    if scope.kind is not None:
        q = q.where(Organisation.kind == scope.kind)
    return q


def count_scope_boards(session: Session, scope: Scope) -> int:
    q = _scope_query(scope).with_only_columns(func.count(Venue.id))
    return int(session.scalar(q) or 0)


def iter_scope_boards(
    session: Session, scope: Scope, today: date
) -> Iterator[tuple[int, pdf.Board, int]]:
    """(organisation id, board, venue id) for every active venue in ``scope``,
    ordered by organisation then venue name, streamed in chunks like
    :func:`iter_org_boards`."""
    q = (
        _scope_query(scope)
        .add_columns(Venue.id, Venue.name, Venue.address, Venue.ward_code, Venue.token)
        .order_by(Organisation.name, Organisation.id, Venue.name, Venue.id)
        .execution_options(yield_per=_YIELD_PER)
    )
    for org_id, org_name, venue_id, name, address, ward_code, token in session.execute(
        q
    ):
        board = pdf.Board(
            name=name,
            organisation=org_name,
            address=full_address(address, ward_code),
            token=token,
            generated=today,
        )
        yield org_id, board, venue_id
