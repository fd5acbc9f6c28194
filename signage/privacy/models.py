"""Data-subject requests: a resident asks (by phone, in person, in writing) that
their data be deleted; the law gives the province 20 days (Decree 356/2025).

While a request is open it holds the phone number it is about (needed to find the
data), encrypted at rest (signage/crypto.py) with a keyed hash beside it (an open
request for the same number is found by it); when it is closed (erased or refused)
both are cleared and only what the record needs stays: the masked form (to answer
the person), the dates, who closed it and the counts of what was deleted.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from ..db import Base, UTCDateTime, created_ts, intpk


class RequestState(enum.StrEnum):
    OPEN = "open"
    ERASED = "erased"
    REFUSED = "refused"


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id: Mapped[intpk]
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)  # received_on + the legal delay
    state: Mapped[RequestState] = mapped_column(
        Enum(
            RequestState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        default=RequestState.OPEN,
    )
    # E.164 while open, None once closed; the masked form stays for the record.
    phone: Mapped[str | None] = mapped_column(Encrypted("erasure_requests.phone"))
    # HMAC of the app secret (checkin.people.phone_hash) while open, None once closed.
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")  # how it came in; no data
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # What was deleted ({"checkins": 3, ...}) or why it was refused.
    outcome: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index("ix_erasure_requests_state_due", "state", "due_on"),
        {"sqlite_autoincrement": True},
    )
