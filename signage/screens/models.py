"""Loops of e-poster slides, their published versions, media, screens, proof of play."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, created_ts, intpk, str120, utcnow

ALL_WEEKDAYS = 0b1111111  # bit 0 = Monday ... bit 6 = Sunday (Python's weekday())


class SlideKind(enum.StrEnum):
    POSTER = "poster"
    IMAGE = "image"
    QR = "qr"
    VIDEO = "video"


class Loop(Base):
    """A draft playlist. Screens only ever see its published versions."""

    __tablename__ = "screen_loops"

    id: Mapped[intpk]
    # The association editor's organisation; None = province-wide (the association).
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str120]
    # Number of the latest published version (0: never published).
    version: Mapped[int] = mapped_column(default=0)
    version_hash: Mapped[str] = mapped_column(String(32), default="")
    # A campaign feed: a province-wide loop (organisation None) offered to every
    # organisation's screens. Withdrawing it (False) takes it off every screen at
    # their next poll; the subscriptions stay, so offering it again brings it back.
    feed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_ts]
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    slides: Mapped[list[Slide]] = relationship(
        back_populates="loop",
        order_by="Slide.position",
        cascade="all, delete-orphan",
    )


class Media(Base):
    """An uploaded image, verified and re-encoded, stored under a random name."""

    __tablename__ = "screen_media"

    id: Mapped[intpk]
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    mime: Mapped[str] = mapped_column(String(20))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    # Videos: their length, read from the file; ``ready`` once transcoded to
    # H.264/yuv420p (the upload waits beside it until then).
    duration_ms: Mapped[int | None]
    ready: Mapped[bool] = mapped_column(default=True)
    failed: Mapped[str] = mapped_column(String(300), default="")


class Slide(Base):
    __tablename__ = "screen_slides"

    id: Mapped[intpk]
    loop_id: Mapped[int] = mapped_column(
        ForeignKey("screen_loops.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[SlideKind] = mapped_column(
        Enum(
            SlideKind,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(String(7), default="#0b5394")
    foreground: Mapped[str] = mapped_column(String(7), default="#ffffff")
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_media.id", ondelete="SET NULL")
    )
    qr_url: Mapped[str] = mapped_column(String(500), default="")
    # A venue's check-in QR: the payload follows the venue's current token.
    qr_venue_id: Mapped[int | None] = mapped_column(
        ForeignKey("venues.id", ondelete="SET NULL")
    )
    qr_caption: Mapped[str] = mapped_column(String(200), default="")
    duration_ms: Mapped[int] = mapped_column(default=10_000)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    weekdays: Mapped[int] = mapped_column(default=ALL_WEEKDAYS)
    # Daily window in minutes after local midnight; end < start crosses midnight.
    window_start: Mapped[int | None]
    window_end: Mapped[int | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    loop: Mapped[Loop] = relationship(back_populates="slides")
    media: Mapped[Media | None] = relationship()


class LoopVersion(Base):
    """An immutable published snapshot of a loop (JSON), named by its content hash."""

    __tablename__ = "screen_loop_versions"

    id: Mapped[intpk]
    loop_id: Mapped[int] = mapped_column(
        ForeignKey("screen_loops.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    hash: Mapped[str] = mapped_column(String(32))
    snapshot: Mapped[str] = mapped_column(Text)
    published_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]

    __table_args__ = (
        UniqueConstraint("loop_id", "number", name="uq_screen_loop_versions_number"),
        Index("ix_screen_loop_versions_hash", "hash"),
    )

    @property
    def slides(self) -> list[dict[str, Any]]:
        slides: list[dict[str, Any]] = json.loads(self.snapshot)["slides"]
        return slides


class Screen(Base):
    """A paired player. Only a hash of its key is stored."""

    __tablename__ = "screens"

    id: Mapped[intpk]
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str120]
    loop_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_loops.id", ondelete="SET NULL"), index=True
    )
    width: Mapped[int]
    height: Mapped[int]
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The schedule version last delivered to the screen.
    version_hash: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[created_ts]
    # Where it hangs: the ward (for overrides and groups) and free tags, stored
    # normalised as " tag1 tag2 " so one LIKE '% tag %' finds a tag.
    ward_code: Mapped[int | None] = mapped_column(index=True)
    tags: Mapped[str] = mapped_column(String(300), default="")
    # What the player last reported (fleet view).
    player_version: Mapped[str] = mapped_column(String(40), default="")
    reported_size: Mapped[str] = mapped_column(String(20), default="")
    now_src: Mapped[str] = mapped_column(String(300), default="")
    now_label: Mapped[str] = mapped_column(String(200), default="")
    now_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    offline_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    loop: Mapped[Loop | None] = relationship()
    feeds: Mapped[list[ScreenFeed]] = relationship(
        cascade="all, delete-orphan", order_by="ScreenFeed.loop_id"
    )

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


class PairingCode(Base):
    """A code shown on an unpaired screen; the screen holds the secret it hashes to."""

    __tablename__ = "screen_pairing_codes"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    screen_id: Mapped[int | None] = mapped_column(
        ForeignKey("screens.id", ondelete="CASCADE")
    )
    created_at: Mapped[created_ts]


class PlayRecord(Base):
    """Proof of play: one slide shown once on one screen. ``uid`` comes from the
    player, so a batch sent twice (lost response, retry) is stored once."""

    __tablename__ = "screen_plays"

    # BIGINT on PostgreSQL; SQLite needs INTEGER to make it the autoincrementing rowid.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    screen_id: Mapped[int] = mapped_column(ForeignKey("screens.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(40))
    loop_id: Mapped[int | None] = mapped_column(
        ForeignKey("screen_loops.id", ondelete="SET NULL")
    )
    version_hash: Mapped[str] = mapped_column(String(32), default="")
    slide_id: Mapped[int]
    slide_label: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_ms: Mapped[int]
    received_at: Mapped[created_ts]

    __table_args__ = (
        UniqueConstraint("screen_id", "uid", name="uq_screen_plays_uid"),
        Index("ix_screen_plays_started_at", "started_at"),
    )


class ScreenFeed(Base):
    """A screen carries a campaign feed (its organisation subscribed it)."""

    __tablename__ = "screen_feeds"

    screen_id: Mapped[int] = mapped_column(
        ForeignKey("screens.id", ondelete="CASCADE"), primary_key=True
    )
    loop_id: Mapped[int] = mapped_column(
        ForeignKey("screen_loops.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[created_ts]

    loop: Mapped[Loop] = relationship()


class ScreenSettings(Base):
    """The province's screen policy (one row, id 1)."""

    __tablename__ = "screen_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Least share of airtime (percent) for campaign feeds on a screen that also
    # plays its organisation's own loop.
    campaign_share: Mapped[int] = mapped_column(default=50)
    # A screen unseen this long is reported offline to its owner by e-mail.
    offline_alert_minutes: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )


class OverrideTarget(enum.StrEnum):
    ALL = "all"
    WARD = "ward"
    TAG = "tag"
    ORGANISATION = "organisation"


class Override(Base):
    """An urgent slide over every loop, on the targeted screens, from ``starts_at``
    until ``ends_at`` (None: until cancelled) or ``cancelled_at``."""

    __tablename__ = "screen_overrides"

    id: Mapped[intpk]
    target: Mapped[OverrideTarget] = mapped_column(
        Enum(
            OverrideTarget,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    target_value: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(String(7), default="#c00000")
    foreground: Mapped[str] = mapped_column(String(7), default="#ffffff")
    qr_url: Mapped[str] = mapped_column(String(500), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]

    __table_args__ = (Index("ix_screen_overrides_live", "cancelled_at", "ends_at"),)
