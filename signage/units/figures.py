"""Deployment figures of a unit's subtree, per organisation, then per branch.

Per organisation, as of now or as of the end of a past local day:

- venues (active ones), venues with a board produced (a whole board downloaded,
  as the province report counts it), venues with a board confirmed posted;
- venues with check-ins in the last 7 days: from the reports' rollups
  (``checkin_venue_last`` plus the tail above the watermark for "now",
  ``checkin_venue_days`` for a past day), never a scan of the check-ins;
- whether it sent a report, and its latest staff / city-app figures (adoption).

Each figure is one grouped query joined to the subtree's CTE (tree.py); the fold
into branches is done here in Python, over at most the province's organisations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, OrgKind, Role, User
from ..posters.models import BoardDownload
from ..reports import postings, rollups
from ..reports.models import BoardPosting, OrgReport, VenueDay, VenueLast
from ..reports.services import _tail
from ..venues.models import Venue
from . import tree

ACTIVE_DAYS = 7


@dataclass
class Figures:
    organisations: int = 0
    orgs_boarded: int = 0
    orgs_reported: int = 0
    venues: int = 0
    venues_boarded: int = 0
    venues_posted: int = 0
    venues_active: int = 0
    staff_total: int = 0
    staff_with_app: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    @staticmethod
    def _share(n: int, d: int) -> float | None:
        return n / d if d else None

    @property
    def boarded_share(self) -> float | None:
        return self._share(self.venues_boarded, self.venues)

    @property
    def posted_share(self) -> float | None:
        return self._share(self.venues_posted, self.venues)

    @property
    def active_share(self) -> float | None:
        return self._share(self.venues_active, self.venues)

    @property
    def reported_share(self) -> float | None:
        return self._share(self.orgs_reported, self.organisations)

    @property
    def adoption_share(self) -> float | None:
        return self._share(self.staff_with_app, self.staff_total)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# Venues whose board is confirmed posted (signage/reports/postings.py) are counted;
# kept as a switch because the column and the chart line read it.
POSTED_TRACKED = True


@dataclass
class OrgRow:
    id: int
    name: str
    kind: OrgKind
    parent_id: int | None
    ward_code: int | None
    address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    figures: Figures = field(default_factory=Figures)

    @property
    def missing(self) -> list[str]:
        """What the organisation still has to do (codes, see MISSING_LABELS)."""
        f = self.figures
        out = []
        if not f.venues:
            out.append("venues")
        elif f.venues_boarded < f.venues:
            out.append("boards")
        if POSTED_TRACKED and f.venues and f.venues_posted < f.venues:
            out.append("posted")
        if not f.orgs_reported:
            out.append("report")
        return out


def _orgs(
    session: Session, ids: Any, parents: dict[int, int | None] | None = None
) -> dict[int, OrgRow]:
    """The active organisations of ``ids``; ``parents`` (when given) receives the
    parent of every organisation of ``ids``, inactive ones included."""
    o = Organisation.__table__.c
    stmt = select(
        o.active,
        o.id,
        o.name,
        o.kind,
        o.parent_id,
        o.ward_code,
        o.address,
        o.contact_name,
        o.contact_phone,
        o.contact_email,
    ).join(ids, ids.c.id == o.id)
    out = {}
    for active, *row in session.execute(stmt):
        if parents is not None:
            parents[row[0]] = row[3]
        if not active:
            continue
        r = OrgRow(*row)
        r.kind = OrgKind(r.kind)
        r.figures.organisations = 1
        out[r.id] = r
    return out


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return rollups.local_day_bounds(day, zone)[1]


def _venue_figures(
    session: Session,
    ids: Any,
    rows: dict[int, OrgRow],
    *,
    now: datetime,
    day: date | None,
    zone: ZoneInfo,
) -> None:
    """Venues, boarded and active venues per organisation (one grouped query)."""
    end = _end_of(day, zone) if day else now
    # Produced as the deployment report counts it (postings.PRODUCED: saved for
    # print, not a preview), by the end of the day asked.
    board = (
        select(BoardDownload.venue_id.label("venue_id"))
        .where(postings.PRODUCED)
        .where(BoardDownload.created_at < end)
        .distinct()
        .subquery()
    )
    posted = (
        select(BoardPosting.venue_id.label("venue_id"))
        .where(BoardPosting.confirmed_at < end)
        .subquery()
    )
    if day is None:
        since = now - timedelta(days=ACTIVE_DAYS)
        tail = _tail(rollups.watermark(session))
        used: Any = or_(
            VenueLast.last_checkin_at >= since,
            Venue.id.in_(select(tail.c.venue_id).where(tail.c.checked_in_at >= since)),
        )
    else:
        used = Venue.id.in_(
            select(VenueDay.venue_id).where(
                VenueDay.day > day - timedelta(days=ACTIVE_DAYS), VenueDay.day <= day
            )
        )
    stmt = (
        select(
            Venue.organisation_id,
            func.count(Venue.id),
            func.count(board.c.venue_id),
            func.count(Venue.id).filter(used),
            func.count(posted.c.venue_id),
        )
        .join(ids, ids.c.id == Venue.organisation_id)
        .outerjoin(board, board.c.venue_id == Venue.id)
        .outerjoin(posted, posted.c.venue_id == Venue.id)
        .where(Venue.active.is_(True), Venue.created_at < end)
        .group_by(Venue.organisation_id)
    )
    if day is None:
        stmt = stmt.outerjoin(VenueLast, VenueLast.venue_id == Venue.id)
    for org_id, n, boarded, active, up in session.execute(stmt):
        row = rows.get(org_id)
        if row is None:
            continue
        f = row.figures
        f.venues, f.venues_boarded, f.venues_active = n, boarded, active
        f.venues_posted = up
        f.orgs_boarded = 1 if boarded else 0


def _report_figures(
    session: Session,
    ids: Any,
    rows: dict[int, OrgRow],
    *,
    end: datetime | None,
) -> None:
    """Each organisation's latest report (ids grow: the largest id is the latest)."""
    latest = select(func.max(OrgReport.id).label("id")).join(
        ids, ids.c.id == OrgReport.organisation_id
    )
    if end is not None:
        latest = latest.where(OrgReport.created_at < end)
    latest_sq = latest.group_by(OrgReport.organisation_id).subquery()
    stmt = select(
        OrgReport.organisation_id, OrgReport.staff_total, OrgReport.staff_with_app
    ).join(latest_sq, latest_sq.c.id == OrgReport.id)
    for org_id, total, with_app in session.execute(stmt):
        row = rows.get(org_id)
        if row is None:
            continue
        row.figures.orgs_reported = 1
        row.figures.staff_total, row.figures.staff_with_app = total, with_app


def org_rows(
    session: Session,
    ids: Any,
    *,
    now: datetime,
    zone: ZoneInfo,
    day: date | None = None,
    parents: dict[int, int | None] | None = None,
) -> dict[int, OrgRow]:
    """Every active organisation of the CTE ``ids`` with its figures, now (``day``
    None) or at the end of local ``day`` (``parents``: see _orgs)."""
    rows = _orgs(session, ids, parents)
    _venue_figures(session, ids, rows, now=now, day=day, zone=zone)
    _report_figures(session, ids, rows, end=_end_of(day, zone) if day else None)
    return rows


@dataclass
class Branch:
    """One line of a unit's dashboard: a child and its whole subtree."""

    org: OrgRow
    figures: Figures
    members: int  # organisations below the child
    own: bool = False  # the unit's own line (its own venues and report)


@dataclass
class Dashboard:
    unit: Organisation | None  # None: the province
    branches: list[Branch]
    total: Figures
    rows: dict[int, OrgRow]  # every organisation below the unit (and the unit)
    as_of: datetime

    def laggards(self, limit: int | None = None) -> list[OrgRow]:
        """Organisations below the unit with something missing, by ward and name."""
        unit_id = self.unit.id if self.unit else None
        out = [r for r in self.rows.values() if r.id != unit_id and r.missing]
        out.sort(key=lambda r: (r.ward_code or 0, r.name))
        return out[:limit] if limit is not None else out


def dashboard(
    session: Session,
    unit_id: int | None,
    *,
    province_code: int,
    now: datetime,
    zone: ZoneInfo,
) -> Dashboard:
    """The unit's figures: one line per child (its subtree folded in), the unit's
    own line, and the total of the whole subtree."""
    unit = session.get(Organisation, unit_id) if unit_id is not None else None
    # One pass over the subtree (the province: no recursion at all); each
    # organisation's branch is found by climbing the parents in Python.
    parents: dict[int, int | None] = {}
    ids = tree.subtree(session, unit_id, province_code)
    rows = org_rows(session, ids, now=now, zone=zone, parents=parents)
    branch_of = _branch_of(parents, unit_id)
    lines: dict[int, Branch] = {}
    for oid, row in rows.items():
        if unit is not None and oid == unit.id:
            continue
        top = branch_of.get(oid)
        if top is None or top not in rows:
            continue
        line = lines.get(top)
        if line is None:
            line = lines[top] = Branch(rows[top], Figures(), -1)
        line.figures.add(row.figures)
        line.members += 1
    total = Figures()
    for line in lines.values():
        total.add(line.figures)
    ordered = sorted(lines.values(), key=lambda b: b.org.name)
    if unit is not None and unit.id in rows:
        own_row = rows[unit.id]
        total.add(own_row.figures)
        ordered.insert(0, Branch(own_row, own_row.figures, 0, own=True))
    return Dashboard(unit, ordered, total, rows, now)


def _branch_of(parents: dict[int, int | None], unit_id: int | None) -> dict[int, int]:
    """Organisation -> the child of ``unit_id`` whose subtree holds it (for the
    province root, the top-level organisation). Memoised climb: O(n) overall."""
    out: dict[int, int] = {}
    for oid in parents:
        path: list[int] = []
        node: int | None = oid
        top: int | None = None
        for _ in range(tree.MAX_DEPTH + 2):  # a corrupt cycle cannot loop forever
            if node is None or node == unit_id:
                break
            if node in out:
                top = out[node]
                break
            path.append(node)
            parent = parents.get(node)
            if parent == unit_id or parent not in parents:
                top = node
                break
            node = parent
        if top is not None:
            for n in path:
                out[n] = top
    return out


def manager_emails(session: Session, org_ids: list[int]) -> dict[int, list[str]]:
    """The active managers' e-mail addresses of each organisation (contacts)."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(org_ids), 500):
        chunk = org_ids[start : start + 500]
        stmt = (
            select(User.organisation_id, User.email)
            .where(User.organisation_id.in_(chunk))
            .where(User.role == Role.MANAGER, User.active.is_(True))
            .order_by(User.email)
        )
        for oid, email in session.execute(stmt):
            if oid is not None:
                out.setdefault(oid, []).append(email)
    return out


def boarded_venues(session: Session, venue_ids: list[int]) -> dict[int, datetime]:
    """When each venue's first whole board was produced (venues without: absent)."""
    out: dict[int, datetime] = {}
    for start in range(0, len(venue_ids), 500):
        chunk = venue_ids[start : start + 500]
        stmt = (
            select(BoardDownload.venue_id, func.min(BoardDownload.created_at))
            .where(BoardDownload.venue_id.in_(chunk))
            .where(postings.PRODUCED)
            .group_by(BoardDownload.venue_id)
        )
        out.update(session.execute(stmt).all())
    return out
