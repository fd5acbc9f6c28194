"""Board rules: which venues a batch prints, what a board says, the download log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, insert, select
from sqlalchemy.orm import Session

from .. import geo
from ..accounts.models import Organisation
from ..errors import Invalid
from ..fonts import ASSETS_DIR
from ..venues.models import Venue
from . import pdf
from .models import BoardDownload

BOARD_SIZES = tuple(pdf.SIZES)
QR_FORMATS = ("png", "svg")
_INSERT_CHUNK = 1000
_YIELD_PER = 500


def campaign(config: Mapping[str, Any]) -> pdf.Campaign:
    """The campaign identity from settings (BOARD_* falling back to CAMPAIGN_*).

    Raises Invalid when the logo is not a file under assets/ or a colour is not #rrggbb.
    """
    logo_name = str(config.get("BOARD_LOGO") or "")
    logo: Path | None = None
    if logo_name:
        logo = (ASSETS_DIR / logo_name).resolve()
        if ASSETS_DIR.resolve() not in logo.parents or not logo.is_file():
            raise Invalid(
                "Cấu hình BOARD_LOGO phải là tên một tệp trong thư mục assets/."
            )
    color = str(config.get("BOARD_COLOR") or config["CAMPAIGN_PRIMARY_COLOR"])
    accent = str(config.get("BOARD_ACCENT_COLOR") or config["CAMPAIGN_ACCENT_COLOR"])
    for value in (color, accent):
        if len(value) != 7 or not value.startswith("#"):
            raise Invalid("Cấu hình màu của bảng phải có dạng #rrggbb.")
        try:
            int(value[1:], 16)
        except ValueError as e:
            raise Invalid("Cấu hình màu của bảng phải có dạng #rrggbb.") from e
    return pdf.Campaign(
        title=str(config.get("BOARD_TITLE") or config["CAMPAIGN_TITLE"]),
        base_url=str(config["PUBLIC_BASE_URL"]),
        authority=str(config.get("CAMPAIGN_AUTHORITY") or ""),
        color=color,
        accent=accent,
        logo=logo,
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
