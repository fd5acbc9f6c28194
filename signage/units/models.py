"""Registrations waiting for e-mail verification or approval, reminders sent to
laggards, and each unit's daily progress (the chart's points)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import OrgKind, _enum
from ..db import Base, UTCDateTime, created_ts, intpk, str120, str255


class RegState(enum.StrEnum):
    UNVERIFIED = "unverified"  # waiting for the e-mailed link
    PENDING = "pending"  # verified, waiting for the parent unit's decision
    APPROVED = "approved"
    REFUSED = "refused"


class Registration(Base):
    """An organisation's self-registration. Nothing exists in ``organisations`` or
    ``users`` until it is approved; the password is kept only as its argon2 hash."""

    __tablename__ = "registrations"

    id: Mapped[intpk]
    state: Mapped[RegState] = mapped_column(
        _enum(RegState), default=RegState.UNVERIFIED
    )
    name: Mapped[str255]
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind))
    parent_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    province_code: Mapped[int]
    ward_code: Mapped[int | None]
    address: Mapped[str255] = mapped_column(default="")
    tax_code: Mapped[str] = mapped_column(String(13), default="")
    contact_name: Mapped[str120] = mapped_column(default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str255]
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_ts]
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )

    __table_args__ = (Index("ix_registrations_state_parent", "state", "parent_id"),)


class Reminder(Base):
    """One reminder mailed to one organisation (the throttle reads the latest)."""

    __tablename__ = "reminders"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    sent_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    # What was missing, as codes ("venues,boards,report"); recipients by count only.
    missing: Mapped[str] = mapped_column(String(120), default="")
    recipients: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        Index("ix_reminders_org_created", "organisation_id", "created_at"),
    )


ROOT = 0  # UnitDay.unit_id of the province itself (the tree's root)


class UnitDay(Base):
    """A unit's whole subtree as it stood at the end of one local day: the progress
    chart reads a unit's rows instead of recomputing every past day of every
    organisation under it. Written once a day (progress.py); aggregate counts only."""

    __tablename__ = "unit_days"

    unit_id: Mapped[int] = mapped_column(primary_key=True)  # ROOT or an org id
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organisations: Mapped[int] = mapped_column(default=0)
    orgs_boarded: Mapped[int] = mapped_column(default=0)
    orgs_reported: Mapped[int] = mapped_column(default=0)
    venues: Mapped[int] = mapped_column(default=0)
    venues_boarded: Mapped[int] = mapped_column(default=0)
    venues_posted: Mapped[int] = mapped_column(default=0)
    venues_active: Mapped[int] = mapped_column(default=0)
    staff_total: Mapped[int] = mapped_column(default=0)
    staff_with_app: Mapped[int] = mapped_column(default=0)
