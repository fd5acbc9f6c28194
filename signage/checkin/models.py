"""Check-ins (one visit of one person to one venue) and visitors' feedback.

Both are personal data: append-only, purged after RETENTION_DAYS (see services.purge).
The integer id never leaves the server; public pages name a check-in by ``public_ref``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..crypto import Encrypted
from ..db import Base, UTCDateTime, created_ts, intpk
from ..venues.models import Venue

NAME_MAX = 100
FEEDBACK_MAX = 1000


class CheckIn(Base):
    __tablename__ = "checkins"

    id: Mapped[intpk]
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    # Random, unguessable name for the confirmation URL (never the row id).
    public_ref: Mapped[str] = mapped_column(String(24), unique=True)
    # One per rendered form: a double tap or a retried POST finds the first row. Unique
    # per venue (see __table_args__): an id replayed at another venue is a new visit.
    submission_id: Mapped[str] = mapped_column(String(64))
    # Name and phone are encrypted at rest (signage/crypto.py): never compared in
    # SQL. The portal's log search filters decrypted values in Python.
    name: Mapped[str] = mapped_column(Encrypted("checkins.name"))
    # E.164 text ('+84901234567'), never an integer (leading zeros, '+').
    phone: Mapped[str] = mapped_column(Encrypted("checkins.phone"))
    # HMAC-SHA256(SECRET_KEY, phone): the 10-minute dedupe and tracing look a person
    # up by it, never by the (encrypted) number.
    phone_hash: Mapped[str] = mapped_column(String(64))
    # people.name_hash of the name: with phone_hash, who this is (a shared phone is
    # several people) without comparing encrypted names.
    name_hash: Mapped[str] = mapped_column(String(64))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set by the visitor's check-out button; otherwise auto_out_at stands.
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # checked_in_at + the venue's stay length at check-in time: the automatic
    # check-out, computed once, so no background job is needed.
    auto_out_at: Mapped[datetime] = mapped_column(UTCDateTime)

    venue: Mapped[Venue] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "venue_id", "submission_id", name="uq_checkins_venue_submission"
        ),
        Index("ix_checkins_venue_time", "venue_id", "checked_in_at"),
        Index("ix_checkins_phone_hash_time", "phone_hash", "checked_in_at"),
        Index("ix_checkins_checked_in_at", "checked_in_at"),
        # Ids are never reused (SQLite would otherwise hand out max(id) + 1 again
        # once a purge deleted the newest rows): the reports' rollups count every
        # check-in up to a watermark id (reports/rollups.py).
        {"sqlite_autoincrement": True},
    )

    @property
    def left_at(self) -> datetime:
        """When the visitor left: the button if pressed, else the automatic time."""
        return self.checked_out_at or self.auto_out_at

    def stay(self) -> timedelta:
        return self.left_at - self.checked_in_at


class FeedbackCategory(enum.StrEnum):
    HYGIENE = "hygiene"  # hygiene / "5K" measures
    SERVICE = "service"
    OTHER = "other"


class Feedback(Base):
    __tablename__ = "checkin_feedback"

    id: Mapped[intpk]
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[FeedbackCategory] = mapped_column(
        Enum(
            FeedbackCategory,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        )
    )
    # Free text: residents write names and numbers in it. Encrypted at rest.
    message: Mapped[str] = mapped_column(Encrypted("checkin_feedback.message"))
    created_at: Mapped[created_ts]

    __table_args__ = (
        Index("ix_checkin_feedback_venue_time", "venue_id", "created_at"),
        Index("ix_checkin_feedback_created_at", "created_at"),
        {"sqlite_autoincrement": True},  # ids never reused (0901_personal_ids)
    )
