"""What each organisation reports to the Department: its staff, how many of them
installed the city app, where the QR board is posted and which screens run posters.
The latest report of an organisation is the one counted; earlier ones are history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, created_ts, intpk


class OrgReport(Base):
    __tablename__ = "org_reports"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    staff_total: Mapped[int]
    staff_with_app: Mapped[int]
    # Venues whose board the manager confirmed posted (BoardPosting), when sent.
    boards_posted: Mapped[int]
    # Screens (lobby, elevator, USB players) showing the e-posters, as declared.
    screens_running: Mapped[int]
    note: Mapped[str] = mapped_column(Text, default="")
    # What the system knew when the report was sent (prefilled, not typed): active
    # venues, venues whose board PDF was produced for print, screens paired.
    venues: Mapped[int] = mapped_column(default=0)
    boards_produced: Mapped[int] = mapped_column(default=0)
    screens_paired: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_ts]

    __table_args__ = (
        Index("ix_org_reports_org_created", "organisation_id", "created_at"),
    )


class BoardPosting(Base):
    """A venue's printed board confirmed up on the wall by its manager, optionally
    with a photo (a cleaned JPEG in signage.storage under ``photo_key``). One row per
    venue: confirming again replaces it; rotating the venue's token removes it (the
    board on the wall no longer works)."""

    __tablename__ = "board_postings"

    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    confirmed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[created_ts]
    photo_key: Mapped[str | None] = mapped_column(String(255))


# Check-in rollups (see rollups.py) ---------------------------------------------------
# Aggregate counts, not personal data: they outlive the check-ins' retention purge, so
# the deployment history stays readable after the visits themselves are gone.


class VenueDay(Base):
    """Check-ins of one venue on one local day (Asia/Ho_Chi_Minh)."""

    __tablename__ = "checkin_venue_days"

    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checkins: Mapped[int]

    __table_args__ = (Index("ix_checkin_venue_days_day", "day"),)


class ProvinceDay(Base):
    """Check-ins in one province's organisations on one local day: the per-day chart
    reads 14 of these rows instead of summing 14 days of every venue."""

    __tablename__ = "checkin_province_days"

    province_code: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checkins: Mapped[int]


class VenueLast(Base):
    """Each venue's latest check-in ("in use" on the deployment report)."""

    __tablename__ = "checkin_venue_last"

    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True
    )
    last_checkin_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_checkin_venue_last_at", "last_checkin_at"),)


class RollupState(Base):
    """One row: the highest check-in id already counted in the rollups (the
    watermark). Check-ins above it are "the tail", read directly by the reports."""

    __tablename__ = "checkin_rollup_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_checkin_id: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
