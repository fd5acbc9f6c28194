"""Adoption rules: rosters and the app's account list, their figures, retention.

Everything takes a Session and flushes; views commit once per request, the import
jobs commit per batch (see jobs.py). Figures are keyed on organisation ids, so a
supervisor's subtree can be passed in where the province passes its own units.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..db import utcnow
from ..errors import N_, Conflict, Invalid, NotFound
from ..jobs.models import ACTIVE, Job
from ..privacy.signals import subject_erase, subject_find
from . import phones
from .models import AppAccount, AppList, Roster, RosterEntry, UploadState
from .rosterfile import Entry

RETENTION_CHOICES = (30, 90, 180, 365, 730)
INSERT_CHUNK = 1000
DELETE_CHUNK = 5000

OrgIds = Iterable[int] | Select[Any]


# How a data-subject request names what it found here (shown on its page).
ROSTER_LINES = N_("dòng danh sách cán bộ")


def _in(column: Any, org_ids: OrgIds) -> Any:
    if isinstance(org_ids, Select):
        return column.in_(org_ids)
    return column.in_(list(org_ids))


def check_retention(days: int) -> int:
    if days not in RETENTION_CHOICES:
        raise Invalid(N_("Hãy chọn một thời hạn lưu trong danh sách."), field="days")
    return days


# Current lists ------------------------------------------------------------------------


def current_roster(session: Session, org_id: int) -> Roster | None:
    return session.scalar(
        select(Roster).where(
            Roster.organisation_id == org_id, Roster.state == UploadState.CURRENT
        )
    )


def last_rejected(session: Session, org_id: int) -> Roster | None:
    """The unit's latest upload if it was refused (newer than its current roster)."""
    last = session.scalar(
        select(Roster)
        .where(
            Roster.organisation_id == org_id,
            Roster.state.in_((UploadState.CURRENT, UploadState.REJECTED)),
        )
        .order_by(Roster.id.desc())
        .limit(1)
    )
    return last if last is not None and last.state is UploadState.REJECTED else None


def importing_roster(session: Session, org_id: int) -> Roster | None:
    return session.scalar(
        select(Roster).where(
            Roster.organisation_id == org_id, Roster.state == UploadState.IMPORTING
        )
    )


def current_app_list(session: Session) -> AppList | None:
    return session.scalar(select(AppList).where(AppList.state == UploadState.CURRENT))


def last_app_upload(session: Session) -> AppList | None:
    return session.scalar(select(AppList).order_by(AppList.id.desc()).limit(1))


# Figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitFigures:
    """One unit's roster matched against the app's current account list."""

    organisation_id: int
    staff: int
    with_app: int
    roster_at: datetime

    @property
    def share(self) -> float:
        return self.with_app / self.staff if self.staff else 0.0

    @property
    def without_app(self) -> int:
        return self.staff - self.with_app


def _matched(list_id: int | None) -> Any:
    """Count of entries whose phone hash is in the app list ``list_id`` (none yet:
    nobody is matched)."""
    if list_id is None:
        return literal(0)
    return func.count(AppAccount.phone_hash)


def adoption_by_unit(session: Session, org_ids: OrgIds) -> list[UnitFigures]:
    """Every unit among ``org_ids`` with a current roster, with how many of its
    staff have an account in the app's current list. One grouped query: entries are
    read through their roster, accounts through their primary key."""
    app = current_app_list(session)
    list_id = app.id if app is not None else None
    stmt = (
        select(
            Roster.organisation_id,
            Roster.created_at,
            func.count(RosterEntry.id),
            _matched(list_id),
        )
        .select_from(Roster)
        .join(RosterEntry, RosterEntry.roster_id == Roster.id)
        .where(Roster.state == UploadState.CURRENT)
        .where(_in(Roster.organisation_id, org_ids))
        .group_by(Roster.organisation_id, Roster.created_at)
    )
    if list_id is not None:
        stmt = stmt.outerjoin(
            AppAccount,
            (AppAccount.list_id == list_id)
            & (AppAccount.phone_hash == RosterEntry.phone_hash),
        )
    return [
        UnitFigures(int(org), int(staff), int(matched), at)
        for org, at, staff, matched in session.execute(stmt)
    ]


def unit_figures(session: Session, org_id: int) -> UnitFigures | None:
    """The unit's figures, or None when it has no roster."""
    rows = adoption_by_unit(session, [org_id])
    return rows[0] if rows else None


@dataclass(frozen=True)
class StaffRow:
    line: int
    name: str
    phone: str  # E.164; masked when shown
    position: str


def staff_without_app(
    session: Session, org_id: int, limit: int | None = None
) -> list[StaffRow]:
    """The unit's staff whose number is not in the app's current list (all of them
    when there is no list yet), by name. Personal data: the caller audits."""
    roster = current_roster(session, org_id)
    if roster is None:
        return []
    app = current_app_list(session)
    stmt = select(
        RosterEntry.line, RosterEntry.name, RosterEntry.phone, RosterEntry.position
    ).where(RosterEntry.roster_id == roster.id)
    if app is not None:
        has = (
            select(AppAccount.phone_hash)
            .where(AppAccount.list_id == app.id)
            .where(AppAccount.phone_hash == RosterEntry.phone_hash)
            .exists()
        )
        stmt = stmt.where(~has)
    # Names are encrypted (no ORDER BY in SQL): sorted here, a unit's roster at a
    # time (tens of thousands of rows at most).
    rows = sorted(
        (StaffRow(*row) for row in session.execute(stmt)),
        key=lambda r: (r.name, r.line),
    )
    return rows if limit is None else rows[:limit]


@dataclass(frozen=True)
class UnitLine:
    """A line of the province's export: the unit and its figures."""

    organisation: Organisation
    figures: UnitFigures


def province_units(session: Session, province_code: int) -> list[UnitLine]:
    """Adoption of every active unit of the province that uploaded a roster, by
    kind and name."""
    ids = select(Organisation.id).where(
        Organisation.province_code == province_code, Organisation.active.is_(True)
    )
    figures = {f.organisation_id: f for f in adoption_by_unit(session, ids)}
    if not figures:
        return []
    orgs = session.scalars(
        select(Organisation)
        .where(Organisation.id.in_(list(figures)))
        .order_by(Organisation.kind, Organisation.name, Organisation.id)
    )
    return [UnitLine(org, figures[org.id]) for org in orgs]


# Rosters: upload steps (called by the import job, each in its own transaction) ------


def _job_active(session: Session, job_id: str | None) -> bool:
    if job_id is None:
        return True  # not queued yet: the request that made it is still running
    state = session.scalar(select(Job.state).where(Job.id == job_id))
    return state in ACTIVE


def start_roster(
    session: Session, org_id: int, user_id: int | None, default_days: int
) -> Roster:
    """A new roster upload (invisible until made current). Its retention is the
    unit's earlier choice, or ``default_days``. Conflict while another runs; an
    upload whose job was lost is set aside (the purge deletes its rows)."""
    running = importing_roster(session, org_id)
    if running is not None:
        if _job_active(session, running.job_id):
            raise Conflict(
                N_(
                    "Một danh sách khác của đơn vị đang được nhập. "
                    "Hãy chờ xong rồi thử lại."
                )
            )
        running.state = UploadState.REJECTED
    previous = current_roster(session, org_id)
    roster = Roster(
        organisation_id=org_id,
        state=UploadState.IMPORTING,
        uploaded_by=user_id,
        retention_days=previous.retention_days if previous else default_days,
    )
    session.add(roster)
    session.flush()
    return roster


def add_entries(session: Session, roster_id: int, entries: Sequence[Entry]) -> None:
    session.execute(
        insert(RosterEntry),
        [
            {
                "roster_id": roster_id,
                "line": e.line,
                "name": e.name,
                "phone": e.phone,
                "phone_hash": e.phone_hash,
                "position": e.position,
            }
            for e in entries
        ],
    )
    session.flush()


def reject_roster_if_importing(session: Session, roster_id: int) -> None:
    roster = session.get(Roster, roster_id)
    if roster is not None and roster.state is UploadState.IMPORTING:
        roster.state = UploadState.REJECTED
        session.flush()


def replaced_rosters(org_id: int) -> Select[Any]:
    return select(Roster.id).where(
        Roster.organisation_id == org_id, Roster.state == UploadState.OLD
    )


def reject_roster(
    session: Session, roster_id: int, errors: list[dict[str, Any]], count: int
) -> None:
    roster = session.get(Roster, roster_id)
    if roster is not None:
        roster.state = UploadState.REJECTED
        roster.errors = errors
        roster.error_count = count
        session.flush()


def make_current(session: Session, roster_id: int, entries: int) -> None:
    """The flip: the new roster is counted from now on; the one it replaces becomes
    old (its rows are deleted afterwards, in batches)."""
    roster = session.get(Roster, roster_id)
    if roster is None or roster.state is not UploadState.IMPORTING:
        raise NotFound(N_("Danh sách đã bị xoá trong lúc nhập."))
    session.execute(
        update(Roster)
        .where(
            Roster.organisation_id == roster.organisation_id,
            Roster.state == UploadState.CURRENT,
        )
        .values(state=UploadState.OLD, expires_at=None)
    )
    roster.state = UploadState.CURRENT
    roster.entries = entries
    now = utcnow()
    roster.created_at = now
    roster.expires_at = now + timedelta(days=roster.retention_days)
    session.flush()


def delete_some_entries(session: Session, roster_ids: Select[Any] | list[int]) -> int:
    """Delete up to DELETE_CHUNK entries of the given rosters; returns how many (0:
    none left). Short batches keep SQLite's write lock brief."""
    ids = select(RosterEntry.id).where(_in(RosterEntry.roster_id, roster_ids))
    chunk = list(session.scalars(ids.limit(DELETE_CHUNK)))
    if not chunk:
        return 0
    session.execute(delete(RosterEntry).where(RosterEntry.id.in_(chunk)))
    session.flush()
    return len(chunk)


# Rosters: the unit's choices --------------------------------------------------------


def set_retention(session: Session, org_id: int, days: int) -> Roster:
    roster = current_roster(session, org_id)
    if roster is None:
        raise NotFound(N_("Đơn vị chưa có danh sách cán bộ."))
    roster.retention_days = check_retention(days)
    roster.expires_at = roster.created_at + timedelta(days=days)
    session.flush()
    return roster


def retire_rosters(session: Session, org_id: int) -> int:
    """The "delete" button: the unit's roster stops counting and showing at once
    (every upload of the unit becomes old, an import under way is refused); the
    rows themselves are deleted in batches by :func:`.jobs.delete_old_rosters`
    (and the daily purge). Returns the entries to be deleted."""
    ids = select(Roster.id).where(Roster.organisation_id == org_id)
    n = session.scalar(
        select(func.count(RosterEntry.id)).where(RosterEntry.roster_id.in_(ids))
    )
    session.execute(
        update(Roster)
        .where(Roster.organisation_id == org_id)
        .values(state=UploadState.OLD, expires_at=None, errors=None)
    )
    session.flush()
    return int(n or 0)


def expired_or_replaced(session: Session, now: datetime) -> list[int]:
    """Rosters to delete: past their unit's retention, replaced, or stuck importing
    for a day (their job was lost)."""
    stale = now - timedelta(days=1)
    return list(
        session.scalars(
            select(Roster.id).where(
                ((Roster.state == UploadState.CURRENT) & (Roster.expires_at < now))
                | (Roster.state == UploadState.OLD)
                | (
                    (Roster.state == UploadState.IMPORTING)
                    & (Roster.created_at < stale)
                )
                | ((Roster.state == UploadState.REJECTED) & (Roster.created_at < stale))
            )
        )
    )


def drop_rosters(session: Session, roster_ids: Select[Any] | list[int]) -> None:
    """Delete roster rows whose entries are already gone."""
    session.execute(delete(Roster).where(_in(Roster.id, roster_ids)))
    session.flush()


# The app's account list ---------------------------------------------------------------


def start_app_list(session: Session, user_id: int | None) -> AppList:
    running = session.scalar(
        select(AppList).where(AppList.state == UploadState.IMPORTING)
    )
    if running is not None:
        if _job_active(session, running.job_id):
            raise Conflict(
                N_(
                    "Một danh sách tài khoản khác đang được nhập. "
                    "Hãy chờ xong rồi thử lại."
                )
            )
        running.state = UploadState.REJECTED
    app = AppList(state=UploadState.IMPORTING, uploaded_by=user_id)
    session.add(app)
    session.flush()
    return app


def add_accounts(session: Session, list_id: int, hashes: Sequence[str]) -> None:
    session.execute(
        insert(AppAccount),
        [{"list_id": list_id, "phone_hash": h} for h in hashes],
    )
    session.flush()


def make_app_list_current(
    session: Session, list_id: int, accounts: int, skipped: int, lines: list[int]
) -> None:
    app = session.get(AppList, list_id)
    if app is None or app.state is not UploadState.IMPORTING:
        raise NotFound(N_("Danh sách đã bị xoá trong lúc nhập."))
    session.execute(
        update(AppList)
        .where(AppList.state == UploadState.CURRENT)
        .values(state=UploadState.OLD)
    )
    app.state = UploadState.CURRENT
    app.accounts = accounts
    app.skipped = skipped
    app.skipped_lines = lines
    app.created_at = utcnow()
    session.flush()


def fail_app_list(session: Session, list_id: int, error: str) -> None:
    app = session.get(AppList, list_id)
    if app is not None:
        app.state = UploadState.REJECTED
        app.error = error[:255]
        session.flush()


def delete_some_accounts(session: Session, list_ids: Select[Any] | list[int]) -> int:
    """Delete up to DELETE_CHUNK account hashes of the given lists; returns how many."""
    chunk = list(
        session.execute(
            select(AppAccount.list_id, AppAccount.phone_hash)
            .where(_in(AppAccount.list_id, list_ids))
            .limit(DELETE_CHUNK)
        )
    )
    if not chunk:
        return 0
    for list_id in {lid for lid, _h in chunk}:
        hashes = [h for lid, h in chunk if lid == list_id]
        session.execute(
            delete(AppAccount).where(
                AppAccount.list_id == list_id, AppAccount.phone_hash.in_(hashes)
            )
        )
    session.flush()
    return len(chunk)


def replaced_app_lists() -> Select[Any]:
    return select(AppList.id).where(
        AppList.state.in_((UploadState.OLD, UploadState.REJECTED))
    )


# Data-subject requests (signage/privacy): a resident's roster lines, found by the
# adoption hash of the number (its own key, see phones.py).


@subject_find.connect
def _subject_find(
    session: Session, *, phone: str, secret: str, **_: Any
) -> tuple[str, int] | None:
    digest = phones.phone_hash(phones.match_key(secret), phone)
    n = session.scalar(select(func.count()).where(RosterEntry.phone_hash == digest))
    return (ROSTER_LINES, int(n)) if n else None


@subject_erase.connect
def _subject_erase(
    session: Session, *, phone: str, secret: str, **_: Any
) -> tuple[str, int] | None:
    digest = phones.phone_hash(phones.match_key(secret), phone)
    rosters = list(
        session.scalars(
            select(RosterEntry.roster_id).where(RosterEntry.phone_hash == digest)
        )
    )
    if not rosters:
        return None
    session.execute(delete(RosterEntry).where(RosterEntry.phone_hash == digest))
    for roster_id in rosters:  # a roster's count follows its lines
        session.execute(
            update(Roster)
            .where(Roster.id == roster_id)
            .values(entries=Roster.entries - 1)
        )
    session.flush()
    return (ROSTER_LINES, len(rosters))
