"""The campaign settings: one row (id 1), edited by the province admin."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow

SINGLETON = 1


class CampaignSettings(Base):
    __tablename__ = "campaign_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    authority: Mapped[str] = mapped_column(String(160), default="", server_default="")
    title: Mapped[str] = mapped_column(String(160), default="", server_default="")
    color: Mapped[str] = mapped_column(String(7), default="", server_default="")
    accent: Mapped[str] = mapped_column(String(7), default="", server_default="")
    # A key of signage/storage.py (campaign/logo-<sha256>.png), None: the bundled logo.
    logo_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    app_name: Mapped[str] = mapped_column(String(60), default="", server_default="")
    app_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    alt_staff: Mapped[str] = mapped_column(String(200), default="", server_default="")
    hotline: Mapped[str] = mapped_column(String(40), default="", server_default="")
    zalo: Mapped[str] = mapped_column(String(120), default="", server_default="")
    english: Mapped[str] = mapped_column(String(200), default="", server_default="")
    privacy: Mapped[str] = mapped_column(String(300), default="", server_default="")
    privacy_en: Mapped[str] = mapped_column(String(300), default="", server_default="")
    retention: Mapped[str] = mapped_column(String(300), default="", server_default="")
    retention_en: Mapped[str] = mapped_column(
        String(300), default="", server_default=""
    )
    start: Mapped[date | None] = mapped_column(Date, nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
