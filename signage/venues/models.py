"""Venues (the places boards are put up) and their retired tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation
from ..db import Base, UTCDateTime, created_ts, intpk, str120, str255, utcnow


class VenueCategory(enum.StrEnum):
    OFFICE = "office"
    SCHOOL = "school"
    HEALTH = "health"
    MARKET = "market"
    SHOP = "shop"
    FOOD = "food"
    HOTEL = "hotel"
    FACTORY = "factory"
    TRANSPORT = "transport"
    WORSHIP = "worship"
    TOURISM = "tourism"
    OTHER = "other"


class Venue(Base):
    __tablename__ = "venues"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str120]
    address: Mapped[str255] = mapped_column(default="")
    ward_code: Mapped[int | None]
    category: Mapped[VenueCategory] = mapped_column(
        Enum(
            VenueCategory,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=VenueCategory.OTHER,
    )
    stay_minutes: Mapped[int] = mapped_column(default=60)
    active: Mapped[bool] = mapped_column(default=True)
    # The current public token; retired ones live in RetiredToken.
    token: Mapped[str] = mapped_column(String(10), unique=True)
    created_at: Mapped[created_ts]
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    organisation: Mapped[Organisation] = relationship()


class RetiredToken(Base):
    """A token that was printed once and then rotated: it answers 410, not 404."""

    __tablename__ = "retired_tokens"

    token: Mapped[str] = mapped_column(String(10), primary_key=True)
    venue_id: Mapped[int] = mapped_column(
        ForeignKey("venues.id", ondelete="CASCADE"), index=True
    )
    retired_at: Mapped[created_ts]
