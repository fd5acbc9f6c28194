"""Campaign feeds: the association's published loops offered to every organisation's
screens, the screens that carry them, and the province's campaign share of airtime.

Ownership: a screen, a loop and a subscription belong to an organisation (None is
the association, which also owns the feeds). The province admin sees everything.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, Role, User
from ..errors import Invalid
from .devices import DEFAULT_SHARE
from .models import Loop, PlayRecord, Screen, ScreenFeed, ScreenSettings

SHARE_MIN, SHARE_MAX = 0, 100
ALERT_MIN, ALERT_MAX = 5, 7 * 24 * 60
_TAG = re.compile(r"[^\w-]+")


def is_association(user: User) -> bool:
    """The province admin or an editor of the association (no organisation)."""
    return user.role is Role.ADMIN or (
        user.role is Role.EDITOR and user.organisation_id is None
    )


# Feeds ---------------------------------------------------------------------------


def list_feeds(session: Session) -> list[Loop]:
    """Feeds on offer now (published association loops marked as feeds)."""
    return list(
        session.scalars(
            select(Loop)
            .where(
                Loop.feed.is_(True), Loop.organisation_id.is_(None), Loop.version > 0
            )
            .order_by(Loop.name, Loop.id)
        )
    )


def set_offered(session: Session, loop: Loop, offered: bool) -> int:
    """Offer a published association loop as a campaign feed, or withdraw it.

    Withdrawing keeps every subscription (offering it again brings it back) and the
    screens drop it at their next poll, playing what remains or the fallback slide.
    Returns how many screens carry it."""
    if loop.organisation_id is not None:
        raise Invalid("Chỉ vòng chiếu của Hiệp hội mới cung cấp làm kênh chiến dịch.")
    if offered and not loop.version:
        raise Invalid(
            "Hãy phát hành vòng chiếu trước khi cung cấp làm kênh chiến dịch."
        )
    loop.feed = offered
    session.flush()
    return carriers(session, loop.id)


def carriers(session: Session, loop_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ScreenFeed)
            .join(Screen, Screen.id == ScreenFeed.screen_id)
            .where(ScreenFeed.loop_id == loop_id, Screen.revoked_at.is_(None))
        )
        or 0
    )


def check_feed_ids(session: Session, loop_ids: list[int]) -> list[int]:
    """The ids, each an offered feed (Invalid otherwise), without duplicates."""
    wanted = sorted(set(loop_ids))
    offered = {lp.id for lp in list_feeds(session)}
    if any(i not in offered for i in wanted):
        raise Invalid(
            "Kênh chiến dịch này không còn được cung cấp. Hãy tải lại trang.",
            field="feeds",
        )
    return wanted


def set_screen_feeds(session: Session, screen: Screen, loop_ids: list[int]) -> None:
    """The screen carries exactly these offered feeds (withdrawn ones it carried
    stay subscribed, so they come back if the association offers them again)."""
    wanted = set(check_feed_ids(session, loop_ids))
    offered = {lp.id for lp in list_feeds(session)}
    for row in list(screen.feeds):
        if row.loop_id in offered and row.loop_id not in wanted:
            screen.feeds.remove(row)
    have = {row.loop_id for row in screen.feeds}
    for loop_id in sorted(wanted - have):
        screen.feeds.append(ScreenFeed(screen_id=screen.id, loop_id=loop_id))
    session.flush()


def add_feed(session: Session, screens: list[Screen], loop_id: int) -> int:
    """Subscribe every screen to one feed; returns how many were added."""
    check_feed_ids(session, [loop_id])
    added = 0
    for screen in screens:
        if all(row.loop_id != loop_id for row in screen.feeds):
            screen.feeds.append(ScreenFeed(screen_id=screen.id, loop_id=loop_id))
            added += 1
    session.flush()
    return added


# The province's policy -----------------------------------------------------------


def settings(session: Session) -> ScreenSettings:
    """The province's settings (defaults until saved once; nothing is written)."""
    row = session.get(ScreenSettings, 1)
    if row is None:
        row = ScreenSettings(
            id=1, campaign_share=DEFAULT_SHARE, offline_alert_minutes=30
        )
    return row


def save_settings(session: Session, share: int, alert_minutes: int) -> ScreenSettings:
    if not SHARE_MIN <= share <= SHARE_MAX:
        raise Invalid("Tỉ lệ từ 0 đến 100 %.", field="campaign_share")
    if not ALERT_MIN <= alert_minutes <= ALERT_MAX:
        raise Invalid(
            "Thời gian từ 5 phút đến 7 ngày (10080 phút).",
            field="offline_alert_minutes",
        )
    row = session.get(ScreenSettings, 1)
    if row is None:
        row = ScreenSettings(id=1)
        session.add(row)
    row.campaign_share = share
    row.offline_alert_minutes = alert_minutes
    session.flush()
    return row


# Where a screen hangs ------------------------------------------------------------


def normalise_tags(text: str) -> str:
    """'Sảnh, Thang máy  sảnh' -> ' sảnh thang-máy ' (lower case, unique, sorted;
    spaces around so one LIKE finds a whole tag). Invalid when too long."""
    parts = [p for p in re.split(r"[,;]+", text.lower()) if p.strip()]
    tags = sorted({_TAG.sub("-", p.strip()).strip("-") for p in parts} - {""})
    out = f" {' '.join(tags)} " if tags else ""
    if len(out) > 300:
        raise Invalid("Nhãn tối đa 300 ký tự.", field="tags")
    if any(len(t) > 40 for t in tags):
        raise Invalid("Mỗi nhãn tối đa 40 ký tự.", field="tags")
    return out


# What the association sees -------------------------------------------------------


@dataclass
class Carriage:
    loop: Loop
    screens: list[Screen] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def minutes(self) -> float:
        return round(self.seconds / 60, 1)


def carriage(session: Session, start: date, end: date, tz: ZoneInfo) -> list[Carriage]:
    """Every association feed (offered or withdrawn but still carried): the screens
    and organisations that carry it and the minutes it played in [start, end]."""
    loops = list(
        session.scalars(
            select(Loop)
            .where(Loop.organisation_id.is_(None), Loop.version > 0)
            .where(
                Loop.feed.is_(True) | Loop.id.in_(select(ScreenFeed.loop_id).distinct())
            )
            .order_by(Loop.name, Loop.id)
        )
    )
    out = {lp.id: Carriage(lp) for lp in loops}
    orgs: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(ScreenFeed.loop_id, Screen, Organisation.name)
        .join(Screen, Screen.id == ScreenFeed.screen_id)
        .outerjoin(Organisation, Organisation.id == Screen.organisation_id)
        .where(ScreenFeed.loop_id.in_(list(out)), Screen.revoked_at.is_(None))
        .order_by(Screen.name)
    )
    for loop_id, screen, org_name in rows:
        out[loop_id].screens.append(screen)
        orgs[loop_id].add(org_name or "Hiệp hội doanh nghiệp")
    lo = datetime.combine(start, time.min, tz)
    hi = datetime.combine(end + timedelta(days=1), time.min, tz)
    played = session.execute(
        select(PlayRecord.loop_id, func.sum(PlayRecord.duration_ms))
        .where(
            PlayRecord.loop_id.in_(list(out)),
            PlayRecord.started_at >= lo,
            PlayRecord.started_at < hi,
        )
        .group_by(PlayRecord.loop_id)
    )
    for played_id, ms in played:
        if played_id is not None:
            out[played_id].seconds = (ms or 0) / 1000
    for carried_id, names in orgs.items():
        out[carried_id].organisations = sorted(names)
    return list(out.values())
