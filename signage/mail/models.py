"""The outbox: every e-mail the system sends, as a row first.

A mail is written in the transaction that decides to send it (an invitation, a reset
link), so a rolled-back request sends nothing; the job queue delivers it after the
commit, retrying with back-off. The row keeps the whole message until it is
delivered (a failed mail is never lost); the body of a mail handed to the SMTP server
is then cleared, since it may hold a one-time link.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, created_ts, intpk, str64, str255


class MailState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its (next) attempt at next_attempt_at
    SENDING = "sending"  # claimed by one worker
    SENT = "sent"  # accepted by the SMTP server (or kept in the dev outbox)
    FAILED = "failed"  # every attempt refused; the admin may retry it


class Transport(enum.StrEnum):
    SMTP = "smtp"
    OUTBOX = "outbox"  # development: written to the outbox only, never sent


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class OutboxMail(Base):
    __tablename__ = "outbox_mails"

    id: Mapped[intpk]
    # What the mail is for ("accounts.invite", "accounts.reset"...): lists, tests.
    kind: Mapped[str64]
    to_addr: Mapped[str255]
    subject: Mapped[str255]
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    # Fixed when queued, so every retry of one mail carries the same Message-ID.
    message_id: Mapped[str255]
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL")
    )
    state: Mapped[MailState] = mapped_column(_enum(MailState), default=MailState.QUEUED)
    transport: Mapped[Transport | None] = mapped_column(_enum(Transport))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The SMTP server's (or the network's) last answer, for the admin; never logged.
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[created_ts]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the body was cleared after delivery.
    body_cleared: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_outbox_mails_state_next", "state", "next_attempt_at"),
        Index("ix_outbox_mails_created_at", "created_at"),
        Index("ix_outbox_mails_org_id", "org_id"),
    )
