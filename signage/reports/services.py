"""Deployment and adoption figures for the province, against the campaign deadline.

Every figure is one grouped query over indexed columns (no per-venue loop), so the
report stays fast with tens of thousands of venues:

- registered: venues (and organisations) in the registry;
- printed: venues whose board PDF was produced for print (saved from the venue's
  page or made in a batch; previews and bare QR images do not count);
- posted: active venues whose manager confirmed the board is on the wall;
- in use: venues with a check-in in the last ``active_days`` days;
- check-ins per local day.

Check-in figures come from the rollups (rollups.py) plus the tail of check-ins above
their watermark, read by primary key range: no report scans the check-ins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, OrgKind
from ..checkin.models import CheckIn
from ..errors import N_, Invalid
from ..posters.models import BoardDownload
from ..text import clean_text
from ..venues.models import Venue
from . import postings, rollups
from .models import BoardPosting, OrgReport, ProvinceDay, VenueLast


@dataclass
class Row:
    """One line of a breakdown (a ward, an organisation kind, or the total)."""

    key: Any
    organisations: int = 0
    organisations_printed: int = 0
    venues: int = 0
    venues_active: int = 0
    venues_printed: int = 0
    venues_in_use: int = 0
    venues_posted: int = 0
    organisations_posted: int = 0

    @property
    def posted_share(self) -> float:
        active = self.venues_active
        return self.venues_posted / active if active else 0.0

    @property
    def printed_share(self) -> float:
        return self.venues_printed / self.venues if self.venues else 0.0

    @property
    def in_use_share(self) -> float:
        return self.venues_in_use / self.venues if self.venues else 0.0

    @property
    def organisations_share(self) -> float:
        return (
            self.organisations_printed / self.organisations
            if self.organisations
            else 0.0
        )

    def add(self, other: Row) -> None:
        for name in (
            "organisations",
            "organisations_printed",
            "venues",
            "venues_active",
            "venues_printed",
            "venues_in_use",
            "venues_posted",
            "organisations_posted",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Deployment:
    by_ward: list[Row]
    by_kind: list[Row]
    total: Row
    active_days: int
    as_of: datetime
    deadline: date | None = None
    per_day: list[tuple[date, int]] = field(default_factory=list)

    def days_left(self, today: date) -> int | None:
        return (self.deadline - today).days if self.deadline else None


# A venue counts as printed when a whole board (not only a bare QR) was produced for
# print (not a preview): see postings.py.
_BOARD = postings.PRODUCED


def _printed_venues() -> Any:
    return (
        select(BoardDownload.venue_id.label("venue_id"))
        .where(_BOARD)
        .distinct()
        .subquery()
    )


def _tail(mark: int) -> Any:
    """The check-ins not yet in the rollups (id above the watermark), read once by
    primary key range. MATERIALIZED keeps the planner from reaching the same rows
    through the (venue, time) or time index instead, which would scan days of them."""
    return (
        select(
            CheckIn.id.label("id"),
            CheckIn.venue_id.label("venue_id"),
            CheckIn.checked_in_at.label("checked_in_at"),
        )
        .where(CheckIn.id > mark)
        .cte("checkin_tail")
        .prefix_with("MATERIALIZED")
    )


def _venue_counts(
    session: Session, province_code: int, since: datetime, mark: int
) -> dict[tuple[Any, Any], Row]:
    """Venue figures per (venue's ward, organisation's kind): one pass over the
    venues serves both breakdowns. In use: the venue's rollup shows a check-in since
    ``since``, or the tail above the watermark does."""
    printed = _printed_venues()
    tail = _tail(mark)
    used = or_(
        VenueLast.last_checkin_at >= since,
        Venue.id.in_(select(tail.c.venue_id).where(tail.c.checked_in_at >= since)),
    )
    stmt = (
        select(
            Venue.ward_code,
            Organisation.kind,
            func.count(Venue.id),
            func.count(Venue.id).filter(Venue.active.is_(True)),
            func.count(printed.c.venue_id),
            func.count(Venue.id).filter(used),
            func.count(BoardPosting.venue_id).filter(Venue.active.is_(True)),
        )
        .select_from(Venue)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .outerjoin(printed, printed.c.venue_id == Venue.id)
        .outerjoin(VenueLast, VenueLast.venue_id == Venue.id)
        .outerjoin(BoardPosting, BoardPosting.venue_id == Venue.id)
        .where(Organisation.province_code == province_code)
        .group_by(Venue.ward_code, Organisation.kind)
    )
    return {
        (ward, kind): Row(
            key=None,
            venues=n,
            venues_active=active,
            venues_printed=n_printed,
            venues_in_use=n_used,
            venues_posted=n_posted,
        )
        for ward, kind, n, active, n_printed, n_used, n_posted in session.execute(stmt)
    }


def _org_counts(
    session: Session, province_code: int
) -> dict[tuple[Any, Any], tuple[int, int, int]]:
    """Organisations per (ward of their seat, kind), how many of them printed at
    least one board, and how many confirmed at least one posted."""
    printed_sub = (
        select(BoardDownload.organisation_id.label("org_id"))
        .where(_BOARD)
        .distinct()
        .subquery()
    )
    posted_sub = (
        select(BoardPosting.organisation_id.label("org_id"))
        .join(Venue, Venue.id == BoardPosting.venue_id)
        .where(Venue.active.is_(True))
        .distinct()
        .subquery()
    )
    stmt = (
        select(
            Organisation.ward_code,
            Organisation.kind,
            func.count(Organisation.id),
            func.count(printed_sub.c.org_id),
            func.count(posted_sub.c.org_id),
        )
        .select_from(Organisation)
        .outerjoin(printed_sub, printed_sub.c.org_id == Organisation.id)
        .outerjoin(posted_sub, posted_sub.c.org_id == Organisation.id)
        .where(Organisation.province_code == province_code)
        .where(Organisation.active.is_(True))
        .group_by(Organisation.ward_code, Organisation.kind)
    )
    return {(w, k): (n, p, q) for w, k, n, p, q in session.execute(stmt)}


def _by(
    venues: dict[tuple[Any, Any], Row],
    orgs: dict[tuple[Any, Any], tuple[int, int, int]],
    part: int,
) -> dict[Any, Row]:
    """Fold (ward, kind) figures into one breakdown (part 0: ward, 1: kind)."""
    out: dict[Any, Row] = {}
    for pair, figures in venues.items():
        out.setdefault(pair[part], Row(key=pair[part])).add(figures)
    for pair, (n, n_printed, n_posted) in orgs.items():
        row = out.setdefault(pair[part], Row(key=pair[part]))
        row.organisations += n
        row.organisations_printed += n_printed
        row.organisations_posted += n_posted
    return out


def deployment(
    session: Session,
    *,
    province_code: int,
    now: datetime,
    active_days: int = 7,
    deadline: date | None = None,
) -> Deployment:
    since = now - timedelta(days=active_days)
    mark = rollups.watermark(session)
    # Venues are counted in their own ward; organisations in the ward of their seat.
    venues = _venue_counts(session, province_code, since, mark)
    orgs = _org_counts(session, province_code)
    ward_rows = _by(venues, orgs, 0)
    kind_rows = _by(venues, orgs, 1)
    wards = sorted(ward_rows, key=lambda k: (k is None, k or 0))
    by_ward = [ward_rows[k] for k in wards]
    by_kind = [kind_rows.get(k) or Row(key=k) for k in OrgKind]
    total = Row(key=None)
    for row in by_kind:
        total.add(row)
    return Deployment(
        by_ward=by_ward,
        by_kind=by_kind,
        total=total,
        active_days=active_days,
        as_of=now,
        deadline=deadline,
    )


def checkins_per_day(
    session: Session, *, days: int, today: date, zone: ZoneInfo, province_code: int
) -> list[tuple[date, int]]:
    """Check-ins per local day for the last ``days`` days (oldest first): the
    province's daily rollup rows, plus the tail above the watermark counted here."""
    first = today - timedelta(days=days - 1)
    mark = rollups.watermark(session)
    counts: dict[date, int] = {
        day: n
        for day, n in session.execute(
            select(ProvinceDay.day, ProvinceDay.checkins).where(
                ProvinceDay.province_code == province_code,
                ProvinceDay.day >= first,
                ProvinceDay.day <= today,
            )
        )
    }
    tail = _tail(mark)
    start = rollups.local_day_bounds(first, zone)[0]
    recent = session.scalars(
        select(tail.c.checked_in_at)
        .join(Venue, Venue.id == tail.c.venue_id)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(tail.c.checked_in_at >= start)
        .where(Organisation.province_code == province_code)
    )
    for at in recent:
        day = at.astimezone(zone).date()
        counts[day] = counts.get(day, 0) + 1
    return [
        (first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
        for i in range(days)
    ]


@dataclass
class Laggard:
    organisation: Organisation
    venues: int


def _laggard_filter(province_code: int) -> Any:
    printed = select(BoardDownload.organisation_id).where(_BOARD).distinct()
    return (
        (Organisation.province_code == province_code)
        & Organisation.active.is_(True)
        & Organisation.id.not_in(printed)
    )


def laggards(
    session: Session, *, province_code: int, limit: int | None = None
) -> list[Laggard]:
    """Active organisations that have not printed a single board yet (the ones the
    Department calls), with how many venues they registered; the first ``limit``
    by ward and name (the page shows 100, the CSV all)."""
    venues = (
        select(func.count(Venue.id))
        .where(Venue.organisation_id == Organisation.id)
        .scalar_subquery()
    )
    stmt = (
        select(Organisation, venues)
        .where(_laggard_filter(province_code))
        .order_by(Organisation.ward_code, Organisation.name)
        .limit(limit)
    )
    return [Laggard(org, int(n)) for org, n in session.execute(stmt)]


def count_laggards(session: Session, *, province_code: int) -> int:
    return int(
        session.scalar(
            select(func.count(Organisation.id)).where(_laggard_filter(province_code))
        )
        or 0
    )


# Organisations' own reports -------------------------------------------------------
# The system's figures (venues, boards produced and posted, screens paired) are filled
# in when the report is sent; the manager confirms or corrects the staff counts and
# declares the screens running (USB players are never paired).

STAFF_MAX = 1_000_000
NOTE_MAX = 1000


@dataclass
class ReportData:
    """What the manager types (or confirms) in the organisation's report."""

    staff_total: int
    staff_with_app: int
    screens_running: int
    note: str = ""

    def check(self) -> ReportData:
        for name in ("staff_total", "staff_with_app", "screens_running"):
            value = getattr(self, name)
            if not 0 <= value <= STAFF_MAX:
                raise Invalid(N_("Số từ 0 đến 1.000.000."), field=name)
        if self.staff_with_app > self.staff_total:
            raise Invalid(
                N_("Số người đã cài ứng dụng không thể lớn hơn tổng số cán bộ."),
                field="staff_with_app",
            )
        note = clean_text(self.note, multiline=True)
        if len(note) > NOTE_MAX:
            raise Invalid(N_("Ghi chú tối đa 1000 ký tự."), field="note")
        return ReportData(
            self.staff_total, self.staff_with_app, self.screens_running, note
        )


def submit_report(
    session: Session, org_id: int, data: ReportData, user_id: int | None
) -> OrgReport:
    """Store the report with the system's figures as they are now."""
    data = data.check()
    system = postings.system_figures(session, org_id)
    report = OrgReport(
        organisation_id=org_id,
        user_id=user_id,
        staff_total=data.staff_total,
        staff_with_app=data.staff_with_app,
        screens_running=data.screens_running,
        note=data.note,
        venues=system.venues,
        boards_produced=system.boards_produced,
        boards_posted=system.boards_posted,
        screens_paired=system.screens_paired,
    )
    session.add(report)
    session.flush()
    return report


def org_reports(session: Session, org_id: int, limit: int = 20) -> list[OrgReport]:
    return list(
        session.scalars(
            select(OrgReport)
            .where(OrgReport.organisation_id == org_id)
            .order_by(OrgReport.id.desc())
            .limit(limit)
        )
    )


@dataclass
class AdoptionRow:
    key: Any
    organisations: int = 0
    reported: int = 0
    staff_total: int = 0
    staff_with_app: int = 0
    boards_posted: int = 0
    screens_running: int = 0

    @property
    def app_share(self) -> float:
        return self.staff_with_app / self.staff_total if self.staff_total else 0.0

    @property
    def reported_share(self) -> float:
        return self.reported / self.organisations if self.organisations else 0.0


def _posted_by_kind(session: Session, province_code: int) -> dict[Any, int]:
    """Active venues confirmed posted now, per kind of active organisation."""
    stmt = (
        select(Organisation.kind, func.count(BoardPosting.venue_id))
        .select_from(BoardPosting)
        .join(Venue, Venue.id == BoardPosting.venue_id)
        .join(Organisation, Organisation.id == BoardPosting.organisation_id)
        .where(Organisation.province_code == province_code)
        .where(Organisation.active.is_(True), Venue.active.is_(True))
        .group_by(Organisation.kind)
    )
    return {kind: int(n) for kind, n in session.execute(stmt)}


def adoption(
    session: Session, *, province_code: int
) -> tuple[list[AdoptionRow], AdoptionRow]:
    """By kind of organisation: staff from each organisation's latest report (ids
    grow, so the latest is the largest id); boards posted counted from the
    confirmations as they stand, never from downloads or a typed number."""
    latest = (
        select(func.max(OrgReport.id).label("id"))
        .group_by(OrgReport.organisation_id)
        .subquery()
    )
    reports = select(OrgReport).join(latest, latest.c.id == OrgReport.id).subquery()
    stmt = (
        select(
            Organisation.kind,
            func.count(Organisation.id),
            func.count(reports.c.id),
            func.coalesce(func.sum(reports.c.staff_total), 0),
            func.coalesce(func.sum(reports.c.staff_with_app), 0),
            func.coalesce(func.sum(reports.c.boards_posted), 0),
            func.coalesce(func.sum(reports.c.screens_running), 0),
        )
        .select_from(Organisation)
        .outerjoin(reports, reports.c.organisation_id == Organisation.id)
        .where(Organisation.province_code == province_code)
        .where(Organisation.active.is_(True))
        .group_by(Organisation.kind)
    )
    found = {row[0]: AdoptionRow(*row) for row in session.execute(stmt)}
    rows = [found.get(kind) or AdoptionRow(kind) for kind in OrgKind]
    posted = _posted_by_kind(session, province_code)
    for r in rows:
        r.boards_posted = posted.get(r.key, 0)
    total = AdoptionRow(None)
    for r in rows:
        for name in (
            "organisations",
            "reported",
            "staff_total",
            "staff_with_app",
            "boards_posted",
            "screens_running",
        ):
            setattr(total, name, getattr(total, name) + int(getattr(r, name)))
    return rows, total
