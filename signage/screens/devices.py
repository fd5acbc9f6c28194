"""Screens: pairing with a short code, keys, heartbeats and proof of play.

A screen proves who it is with a random key it generated at pairing time (the secret
behind its pairing code); the server keeps only the key's SHA-256, so a copy of the
database cannot drive a screen. Keys are 256-bit random, so a fast hash is enough.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from ..accounts.models import Organisation, Role, User
from ..db import utcnow
from ..errors import Invalid, NotFound
from .models import (
    Loop,
    LoopVersion,
    PairingCode,
    PlayRecord,
    Screen,
    ScreenFeed,
    ScreenSettings,
)

# No 0/O, 1/I/L: the code is read off a screen across a lobby and typed in.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
BATCH_MAX = 500
MAX_PLAY_MS = 3_600_000 + 60_000
DEFAULT_SHARE = 50  # percent, until the province sets its own


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def start_pairing(session: Session, minutes: int) -> tuple[str, str]:
    """A fresh (code, secret) for an unpaired screen; expired codes are purged."""
    now = utcnow()
    session.execute(delete(PairingCode).where(PairingCode.expires_at < now))
    secret = secrets.token_urlsafe(32)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.get(PairingCode, code) is None:
            break
    session.add(
        PairingCode(
            code=code,
            secret_hash=key_hash(secret),
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return code, secret


def pairing_status(session: Session, secret: str) -> str:
    """'paired' (the secret is now the screen's key), 'waiting' or 'expired'."""
    row = session.scalar(
        select(PairingCode).where(PairingCode.secret_hash == key_hash(secret))
    )
    if row is None:
        return "expired"
    if row.screen_id is not None:
        return "paired"
    return "waiting" if row.expires_at > utcnow() else "expired"


@dataclass
class ScreenData:
    name: str
    loop_id: int | None
    width: int
    height: int
    ward_code: int | None = None
    tags: str = ""  # normalised (feeds.normalise_tags)

    def check(self) -> None:
        if not self.name:
            raise Invalid("Hãy đặt tên cho màn hình.", field="name")
        if len(self.name) > 120:
            raise Invalid("Tên tối đa 120 ký tự.", field="name")


def pair(
    session: Session, code: str, data: ScreenData, organisation_id: int | None
) -> Screen:
    data.check()
    row = session.get(PairingCode, normalise_code(code))
    if row is None or row.expires_at <= utcnow():
        raise Invalid(
            "Mã không đúng hoặc đã hết hạn. Hãy mở lại trang /play trên màn hình.",
            field="code",
        )
    if row.screen_id is not None:
        paired = session.get(Screen, row.screen_id)
        if paired is not None and paired.organisation_id == organisation_id:
            raise Invalid(
                "Mã này đã được dùng để ghép màn hình “%(name)s”. Màn hình đó đang "
                "chiếu; không cần ghép lại.",
                field="code",
                params={"name": paired.name},
            )
        # Another owner's screen: say so without naming it.
        raise Invalid(
            "Mã này đã được dùng để ghép một màn hình khác. Nếu đây là màn hình "
            "của bạn, hãy mở lại trang /play trên màn hình để lấy mã mới.",
            field="code",
        )
    ward = _ward(session, data.ward_code, organisation_id)
    screen = Screen(
        name=data.name,
        loop_id=data.loop_id,
        width=data.width,
        height=data.height,
        key_hash=row.secret_hash,
        organisation_id=organisation_id,
        ward_code=ward,
        tags=data.tags,
    )
    session.add(screen)
    session.flush()
    row.screen_id = screen.id
    session.flush()
    return screen


def update_screen(session: Session, screen: Screen, data: ScreenData) -> None:
    data.check()
    screen.name, screen.loop_id = data.name, data.loop_id
    screen.width, screen.height = data.width, data.height
    screen.ward_code = _ward(session, data.ward_code, screen.organisation_id)
    screen.tags = data.tags
    session.flush()


def _ward(
    session: Session, chosen: int | None, organisation_id: int | None
) -> int | None:
    """The chosen ward, else the organisation's own."""
    if chosen is None and organisation_id is not None:
        org = session.get(Organisation, organisation_id)
        return org.ward_code if org else None
    return chosen


def revoke(session: Session, screen: Screen) -> None:
    if screen.revoked_at is None:
        screen.revoked_at = utcnow()
    session.flush()


@dataclass(frozen=True)
class Filter:
    """A group of screens: by organisation, ward, kind of organisation, free tag
    (every part optional; empty = all the user's screens)."""

    organisation_id: int | None = None
    ward_code: int | None = None
    org_kind: str = ""
    tag: str = ""
    live_only: bool = False  # leave revoked screens out

    @property
    def active(self) -> bool:
        return bool(self.organisation_id or self.ward_code or self.org_kind or self.tag)


def list_screens(
    session: Session, user: User, where: Filter | None = None
) -> list[Screen]:
    q = select(Screen).order_by(Screen.revoked_at.is_not(None), Screen.name)
    if user.role is not Role.ADMIN:
        org = user.organisation_id
        q = q.where(
            Screen.organisation_id.is_(None)
            if org is None
            else Screen.organisation_id == org
        )
    if where is not None:
        if where.live_only:
            q = q.where(Screen.revoked_at.is_(None))
        if where.organisation_id:
            q = q.where(Screen.organisation_id == where.organisation_id)
        if where.ward_code:
            q = q.where(Screen.ward_code == where.ward_code)
        if where.tag:
            q = q.where(Screen.tags.contains(f" {where.tag} ", autoescape=True))
        if where.org_kind:
            q = q.join(Organisation, Organisation.id == Screen.organisation_id).where(
                Organisation.kind == where.org_kind
            )
    return list(session.scalars(q))


def assign(
    session: Session, screens: list[Screen], loop: Loop | None
) -> tuple[int, int]:
    """Play ``loop`` as the own loop of every screen of its organisation among
    ``screens``; returns (assigned, skipped: another organisation's screens)."""
    done = skipped = 0
    for screen in screens:
        if loop is not None and loop.organisation_id != screen.organisation_id:
            skipped += 1
            continue
        screen.loop_id = loop.id if loop else None
        done += 1
    session.flush()
    return done, skipped


_SRC = re.compile(r"^/play/(slide|fallback|override)/[\w./-]{1,280}\.jpg$")
_SIZE = re.compile(r"^\d{2,5}x\d{2,5}$")


def report_status(
    session: Session, screen_id: int, status: Any, now: datetime | None = None
) -> bool:
    """What the player shows now (the rendered slide's own URL, so the fleet view's
    thumbnail is exactly that picture), its version and its real resolution.
    Anything malformed is ignored. Returns True when stored."""
    if not isinstance(status, dict):
        return False
    src, label = status.get("src", ""), status.get("label", "")
    version, size = status.get("version", ""), status.get("size", "")
    if not all(isinstance(x, str) for x in (src, label, version, size)):
        return False
    if (src and not _SRC.match(src)) or (size and not _SIZE.match(size)):
        return False
    session.execute(
        update(Screen)
        .where(Screen.id == screen_id)
        .values(
            now_src=src,
            now_label=label[:200],
            player_version=version[:40],
            reported_size=size,
            now_at=now or utcnow(),
        )
    )
    return True


def get_screen(session: Session, screen_id: int, user: User) -> Screen:
    screen = session.get(Screen, screen_id)
    if screen is None or not (
        user.role is Role.ADMIN or screen.organisation_id == user.organisation_id
    ):
        raise NotFound()
    return screen


def is_online(screen: Screen, poll_seconds: int, now: datetime | None = None) -> bool:
    if screen.last_seen_at is None or screen.revoked_at is not None:
        return False
    now = now or utcnow()
    return now - screen.last_seen_at <= timedelta(seconds=3 * poll_seconds)


# The player's hot path -----------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One loop a screen plays: its own organisation's loop, or a campaign feed."""

    loop_id: int
    version_hash: str
    campaign: bool


@dataclass(frozen=True)
class Heartbeat:
    screen_id: int
    width: int
    height: int
    loop_id: int | None
    version_hash: str  # of the screen's whole schedule ("" when nothing plays)
    seen_hash: str  # the schedule version last delivered to the screen
    last_seen_at: datetime | None
    sources: tuple[Source, ...] = ()
    share: int = 50  # least campaign share of airtime, percent
    organisation_id: int | None = None
    ward_code: int | None = None
    tags: str = ""


def schedule_hash(sources: tuple[Source, ...], share: int) -> str:
    """The version of a screen's schedule. A screen with one loop and no feed keeps
    the loop's own version hash (what it showed before feeds existed)."""
    if len(sources) == 1 and not sources[0].campaign:
        return sources[0].version_hash
    if not sources:
        return ""
    raw = json.dumps([[x.loop_id, x.version_hash, x.campaign] for x in sources])
    return hashlib.sha256(f"{raw}|{share}".encode()).hexdigest()[:16]


def authenticate(session: Session, key: str) -> Heartbeat | None:
    """One indexed SELECT: the screen behind a key (None: unknown or revoked), with
    the published loops it plays: its own loop and the campaign feeds it carries
    that are still offered (one row per feed)."""
    if not key or len(key) > 128:
        return None
    own, feed = aliased(Loop), aliased(Loop)
    share = (
        select(ScreenSettings.campaign_share)
        .where(ScreenSettings.id == 1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Screen.id,
            Screen.width,
            Screen.height,
            Screen.loop_id,
            own.version_hash,
            Screen.version_hash,
            Screen.last_seen_at,
            feed.id,
            feed.version_hash,
            share,
            Screen.organisation_id,
            Screen.ward_code,
            Screen.tags,
        )
        .outerjoin(own, own.id == Screen.loop_id)
        .outerjoin(ScreenFeed, ScreenFeed.screen_id == Screen.id)
        .outerjoin(
            feed,
            (feed.id == ScreenFeed.loop_id) & feed.feed.is_(True) & (feed.version > 0),
        )
        .where(Screen.key_hash == key_hash(key), Screen.revoked_at.is_(None))
        .order_by(feed.id)
    ).all()
    if not rows:
        return None
    first = rows[0]
    sources: list[Source] = []
    if first[3] is not None and first[4]:
        sources.append(Source(first[3], first[4], False))
    sources += [
        Source(r[7], r[8], True) for r in rows if r[7] is not None and r[7] != r[3]
    ]
    share_pct = DEFAULT_SHARE if first[9] is None else int(first[9])
    srcs = tuple(sources)
    return Heartbeat(
        screen_id=first[0],
        width=first[1],
        height=first[2],
        loop_id=first[3],
        version_hash=schedule_hash(srcs, share_pct),
        seen_hash=first[5],
        last_seen_at=first[6],
        sources=srcs,
        share=share_pct,
        organisation_id=first[10],
        ward_code=first[11],
        tags=first[12] or "",
    )


@dataclass(frozen=True)
class Whereabouts:
    screen_id: int
    width: int
    height: int
    organisation_id: int | None
    ward_code: int | None
    tags: str


def locate(session: Session, key: str) -> Whereabouts | None:
    """The screen behind a key and where it hangs (one indexed SELECT, no join):
    all the override path needs."""
    if not key or len(key) > 128:
        return None
    row = session.execute(
        select(
            Screen.id,
            Screen.width,
            Screen.height,
            Screen.organisation_id,
            Screen.ward_code,
            Screen.tags,
        ).where(Screen.key_hash == key_hash(key), Screen.revoked_at.is_(None))
    ).first()
    return None if row is None else Whereabouts(*row)


def touch(
    session: Session, hb: Heartbeat, interval_s: int, now: datetime | None = None
) -> bool:
    """Record the heartbeat, at most once per poll interval (a screen polling on
    time writes every other poll, a bench or a stuck loop never more): the 304 path
    stays a read. Returns True when it wrote."""
    now = now or utcnow()
    fresh = hb.last_seen_at is not None and now - hb.last_seen_at < timedelta(
        seconds=interval_s
    )
    if fresh and hb.seen_hash == hb.version_hash:
        return False
    session.execute(
        update(Screen)
        .where(Screen.id == hb.screen_id)
        .values(last_seen_at=now, version_hash=hb.version_hash)
    )
    return True


def loop_version(session: Session, loop_id: int, digest: str) -> LoopVersion | None:
    return session.scalar(
        select(LoopVersion)
        .where(LoopVersion.loop_id == loop_id, LoopVersion.hash == digest)
        .limit(1)
    )


def version_by_hash(session: Session, digest: str) -> LoopVersion | None:
    return session.scalar(
        select(LoopVersion).where(LoopVersion.hash == digest).limit(1)
    )


# Proof of play -------------------------------------------------------------------


@dataclass
class PlayResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    # Every id the server now holds (the acknowledgement the player waits for).
    ids: list[str] = field(default_factory=list)


def _parse_item(item: Any, now: datetime) -> dict[str, Any] | None:
    if not isinstance(item, dict):
        return None
    uid, slide, version = item.get("id"), item.get("slide"), item.get("version", "")
    start, duration = item.get("start"), item.get("duration")
    if not (isinstance(uid, str) and 8 <= len(uid) <= 40):
        return None
    if not (isinstance(slide, int) and not isinstance(slide, bool) and slide >= 0):
        return None
    if not isinstance(version, str) or len(version) > 32:
        return None
    if not (isinstance(start, int | float) and isinstance(duration, int | float)):
        return None
    if not 0 < duration <= MAX_PLAY_MS:
        return None
    try:
        started = datetime.fromtimestamp(start / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if not now - timedelta(days=90) <= started <= now + timedelta(minutes=10):
        return None
    return {
        "uid": uid,
        "slide_id": slide,
        "version_hash": version,
        "started_at": started,
        "duration_ms": int(duration),
    }


def record_plays(session: Session, screen_id: int, items: Any) -> PlayResult:
    """Store a batch exactly once per (screen, id); invalid items are counted and
    dropped (acknowledged, so a player never retries garbage forever)."""
    if not isinstance(items, list) or len(items) > BATCH_MAX:
        raise Invalid(f"Gửi tối đa {BATCH_MAX} bản ghi mỗi lần.")
    now = utcnow()
    result = PlayResult()
    parsed: dict[str, dict[str, Any]] = {}
    for item in items:
        row = _parse_item(item, now)
        if row is None:
            result.rejected += 1
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                result.ids.append(item["id"][:40])
            continue
        parsed.setdefault(row["uid"], row)
    if parsed:
        known = set(
            session.scalars(
                select(PlayRecord.uid).where(
                    PlayRecord.screen_id == screen_id,
                    PlayRecord.uid.in_(list(parsed)),
                )
            )
        )
        labels = _labels(session, {r["version_hash"] for r in parsed.values()})
        fresh = [r for uid, r in parsed.items() if uid not in known]
        result.ids.extend(parsed)
        result.duplicates = len(parsed) - len(fresh)
        try:
            with session.begin_nested():
                for row in fresh:
                    loop_id, titles = labels.get(row["version_hash"], (None, {}))
                    session.add(
                        PlayRecord(
                            screen_id=screen_id,
                            loop_id=loop_id,
                            slide_label=titles.get(row["slide_id"], "")[:200],
                            **row,
                        )
                    )
            result.accepted = len(fresh)
        except IntegrityError:
            # The same batch arrived twice at once (a retry raced its original): the
            # other request stored it, so these are duplicates.
            result.duplicates += len(fresh)
    return result


def _labels(
    session: Session, hashes: set[str]
) -> dict[str, tuple[int, dict[int, str]]]:
    out: dict[str, tuple[int, dict[int, str]]] = {}
    for digest in hashes:
        version = version_by_hash(session, digest) if digest else None
        if version is not None:
            titles = {
                s["id"]: s.get("title") or s.get("qr_caption") or f"#{s['id']}"
                for s in version.slides
            }
            out[digest] = (version.loop_id, titles)
    return out


# Offline alerts --------------------------------------------------------------------


def offline_due(
    session: Session, minutes: int, now: datetime | None = None
) -> list[Screen]:
    """Screens unseen for ``minutes`` whose owner was not yet told about this outage
    (never-connected and revoked screens are not "offline")."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Screen)
            .where(
                Screen.revoked_at.is_(None),
                Screen.last_seen_at.is_not(None),
                Screen.last_seen_at < now - timedelta(minutes=minutes),
                Screen.offline_alerted_at.is_(None)
                | (Screen.offline_alerted_at < Screen.last_seen_at),
            )
            .order_by(Screen.id)
        )
    )


def owner_addresses(session: Session, screen: Screen) -> list[str]:
    """Who is told: the organisation's managers and screen operators, or for the
    association's screens its editors."""
    if screen.organisation_id is None:
        who = (User.role == Role.EDITOR) & User.organisation_id.is_(None)
    else:
        who = User.role.in_([Role.MANAGER, Role.SCREENS]) & (
            User.organisation_id == screen.organisation_id
        )
    return list(
        session.scalars(select(User.email).where(who, User.active).order_by(User.id))
    )
