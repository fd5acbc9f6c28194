"""Progress over time: each unit's figures at the end of every local day since the
campaign started (``unit_days``), and the chart's series.

A past day's figures are computed from what carries a date (venues' and reports'
creation, board downloads, the rollups' check-ins per venue and day), so the first
run after the campaign start fills every missing day, and each later run only
yesterday. Rows are kept for the province (``ROOT``) and for every organisation
that has members (a unit); today's point is always computed live by the dashboard.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation
from ..db import utcnow
from . import figures, tree
from .models import ROOT, UnitDay

MAX_DAYS = 400  # the chart covers at most this many days back
DEFAULT_SPAN = 30  # days shown when no campaign start is set


def campaign_start(start: date | None, today: date) -> date:
    """The first day of the charts: the campaign's start (its settings in the
    portal, else CAMPAIGN_START), else 30 days back."""
    return min(start, today) if start else today - timedelta(days=DEFAULT_SPAN)


def snapshot(session: Session, day: date, *, province_code: int, zone: ZoneInfo) -> int:
    """Write (replace) ``day``'s rows for the province and every unit; returns how
    many rows were written."""
    ids = tree.subtree(session, None, province_code)
    rows = figures.org_rows(session, ids, now=utcnow(), zone=zone, day=day)
    parent = dict(
        session.execute(
            select(Organisation.id, Organisation.parent_id).where(
                Organisation.province_code == province_code
            )
        ).all()
    )
    units = {p for p in parent.values() if p is not None}
    totals: dict[int, figures.Figures] = {ROOT: figures.Figures()}
    totals.update({u: figures.Figures() for u in units})
    for oid, row in rows.items():
        totals[ROOT].add(row.figures)
        node: int | None = oid
        for _ in range(tree.MAX_DEPTH + 1):  # a corrupt cycle cannot loop forever
            if node is None:
                break
            if node in units:
                totals[node].add(row.figures)
            node = parent.get(node)
    session.execute(delete(UnitDay).where(UnitDay.day == day))
    session.execute(
        insert(UnitDay),
        [{"unit_id": u, "day": day, **f.as_dict()} for u, f in totals.items()],
    )
    session.flush()
    return len(totals)


def missing_days(session: Session, start: date, yesterday: date) -> list[date]:
    """Days from ``start`` to ``yesterday`` with no province row yet."""
    first = max(start, yesterday - timedelta(days=MAX_DAYS))
    done = set(
        session.scalars(
            select(UnitDay.day).where(UnitDay.unit_id == ROOT, UnitDay.day >= first)
        )
    )
    n = (yesterday - first).days + 1
    return [d for d in (first + timedelta(days=i) for i in range(n)) if d not in done]


def fill(
    write: Callable[[], AbstractContextManager[Session]],
    *,
    start: date,
    today: date,
    province_code: int,
    zone: ZoneInfo,
) -> int:
    """Snapshot every missing day up to yesterday, one transaction per day (the
    periodic task and `flask units progress`). Returns the days written."""
    with write() as s:
        days = missing_days(s, start, today - timedelta(days=1))
    for day in days:
        with write() as s:
            snapshot(s, day, province_code=province_code, zone=zone)
            s.commit()
    return len(days)


@dataclass
class Point:
    day: date
    figures: figures.Figures


def series(
    session: Session,
    unit_id: int | None,
    *,
    start: date,
    today_figures: figures.Figures,
    today: date,
) -> list[Point]:
    """The unit's daily points from ``start`` (stored days) then today (live)."""
    key = ROOT if unit_id is None else unit_id
    cols = [getattr(UnitDay, n) for n in figures.Figures().as_dict()]
    stmt = (
        select(UnitDay.day, *cols)
        .where(UnitDay.unit_id == key, UnitDay.day >= start, UnitDay.day < today)
        .order_by(UnitDay.day)
    )
    out = [
        Point(day, figures.Figures(*counts)) for day, *counts in session.execute(stmt)
    ]
    out.append(Point(today, today_figures))
    return out
