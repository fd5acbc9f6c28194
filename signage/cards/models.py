"""A resident's personal QR card (made by the resident, on their own phone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from ..db import Base, UTCDateTime, created_ts, intpk

CODE_LENGTH = 16  # Crockford base32: 80 random bits


class PersonalCard(Base):
    __tablename__ = "personal_cards"

    id: Mapped[intpk]
    # What the QR carries ({PUBLIC_BASE_URL}/P/{code}); unguessable, never the id.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    # Encrypted at rest (signage/crypto.py); looked up by phone_hash, never by value.
    name: Mapped[str] = mapped_column(Encrypted("personal_cards.name"))
    phone: Mapped[str] = mapped_column(Encrypted("personal_cards.phone"))  # E.164
    # HMAC-SHA256(SECRET_KEY, phone), as on check-ins: a data-subject request finds
    # a resident's cards by it.
    phone_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[created_ts]
    # Cards unused for CARDS_RETENTION_DAYS are deleted (flask cards purge).
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_personal_cards_last_used_at", "last_used_at"),
        # Ids are never reused (SQLite would hand out max(id) + 1 again after a
        # purge): check-ins made by a card name it in their submission id.
        {"sqlite_autoincrement": True},
    )
