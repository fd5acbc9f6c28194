"""Clients of the JSON API (the city app, kiosks): a named key with scopes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, created_ts, intpk, str120


class Scope(enum.StrEnum):
    VENUES_READ = "venues:read"
    CHECKINS_WRITE = "checkins:write"


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[intpk]
    name: Mapped[str120]
    # None: province-wide; otherwise the client sees and writes one organisation only.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # Only the SHA-256 of the key is kept; the prefix tells keys apart in lists.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(12))
    scopes: Mapped[str] = mapped_column(String(120))  # space-separated Scope values
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_ts]
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def has(self, scope: Scope) -> bool:
        return scope.value in self.scopes.split()
