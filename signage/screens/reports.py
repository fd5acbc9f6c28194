"""Proof-of-play reports: minutes shown per loop, slide, screen and local day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Loop, PlayRecord, Screen


@dataclass
class ReportRow:
    day: date
    loop: str
    slide_id: int
    slide: str
    screen: str
    plays: int
    seconds: float

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 2)


def minutes_shown(
    session: Session,
    start: date,
    end: date,
    tz: ZoneInfo,
    organisation_id: int | None = None,
    all_orgs: bool = False,
) -> list[ReportRow]:
    """Rows per (local day, loop, slide, screen) for plays started in [start, end]."""
    lo = datetime.combine(start, time.min, tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tz)
    q = (
        select(
            PlayRecord.started_at,
            PlayRecord.duration_ms,
            PlayRecord.slide_id,
            PlayRecord.slide_label,
            Loop.name,
            Screen.name,
        )
        .join(Screen, Screen.id == PlayRecord.screen_id)
        .outerjoin(Loop, Loop.id == PlayRecord.loop_id)
        .where(PlayRecord.started_at >= lo, PlayRecord.started_at < hi)
    )
    if not all_orgs:
        q = q.where(
            Screen.organisation_id.is_(None)
            if organisation_id is None
            else Screen.organisation_id == organisation_id
        )
    acc: dict[tuple[date, str, int, str, str], list[float]] = defaultdict(
        lambda: [0, 0.0]
    )
    for started, ms, slide_id, label, loop_name, screen_name in session.execute(q):
        key = (
            started.astimezone(tz).date(),
            loop_name or "—",
            slide_id,
            label or f"#{slide_id}",
            screen_name,
        )
        acc[key][0] += 1
        acc[key][1] += ms / 1000
    rows = [ReportRow(*k, int(v[0]), v[1]) for k, v in acc.items()]
    rows.sort(key=lambda r: (r.day, r.loop, r.screen, r.slide_id))
    return rows


def csv_rows(rows: list[ReportRow]) -> Iterator[tuple[object, ...]]:
    """The report as CSV rows, header first (written by csvout)."""
    yield ("ngay", "vong_chieu", "trang_id", "trang", "man_hinh", "luot", "phut")
    for r in rows:
        yield (
            r.day.isoformat(),
            r.loop,
            r.slide_id,
            r.slide,
            r.screen,
            r.plays,
            f"{r.minutes:.2f}",
        )
