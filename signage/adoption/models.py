"""Civil servants' adoption of the city app: each unit's staff roster, and the city
app's account list as keyed hashes only.

Personal data: ``roster_entries.name`` and ``roster_entries.phone`` (plain columns
for now; encryption at rest may wrap them later). ``phone_hash`` and
``app_accounts.phone_hash`` are keyed hashes (see phones.py): the app's raw numbers
are never stored.

An upload is written beside the current one (state ``importing``, invisible), then
made ``current`` in one short transaction; the one it replaces becomes ``old`` and
its rows are deleted in batches. So a reader sees the old list or the new one,
never half of either.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from ..db import Base, UTCDateTime, created_ts, intpk, str120


class UploadState(enum.StrEnum):
    IMPORTING = "importing"  # rows being written; nobody reads them
    CURRENT = "current"  # the one counted
    OLD = "old"  # replaced; its rows are being deleted
    REJECTED = "rejected"  # the file had errors (kept: what they were, no data)


def _state() -> Enum:
    return Enum(
        UploadState,
        native_enum=False,
        length=12,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Roster(Base):
    """One upload of a unit's staff roster."""

    __tablename__ = "rosters"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    state: Mapped[UploadState] = mapped_column(_state())
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    entries: Mapped[int] = mapped_column(default=0)
    # The unit's choice: the roster is deleted this many days after its upload.
    retention_days: Mapped[int]
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Row errors of a rejected file: [{"line", "column", "message"}], no cell values.
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    error_count: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_rosters_organisation_id_state", "organisation_id", "state"),
        Index("ix_rosters_expires_at", "expires_at"),
    )


class RosterEntry(Base):
    """One member of staff (personal data: name, phone)."""

    __tablename__ = "roster_entries"

    id: Mapped[intpk]
    roster_id: Mapped[int] = mapped_column(ForeignKey("rosters.id", ondelete="CASCADE"))
    line: Mapped[int]  # the row in the uploaded file
    # Encrypted at rest like check-ins' (signage/crypto.py): never compared in SQL;
    # look-ups go through phone_hash.
    name: Mapped[str] = mapped_column(Encrypted("roster_entries.name"))
    phone: Mapped[str] = mapped_column(Encrypted("roster_entries.phone"))  # E.164
    phone_hash: Mapped[str] = mapped_column(String(64))
    position: Mapped[str120] = mapped_column(default="")

    __table_args__ = (
        Index(
            "uq_roster_entries_roster_id_phone_hash",
            "roster_id",
            "phone_hash",
            unique=True,
        ),
    )


class AppList(Base):
    """One upload of the city app's account export (the province's)."""

    __tablename__ = "app_account_lists"

    id: Mapped[intpk]
    state: Mapped[UploadState] = mapped_column(_state())
    uploaded_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_ts]
    accounts: Mapped[int] = mapped_column(default=0)
    # Rows whose number could not be read: how many, and the first lines.
    skipped: Mapped[int] = mapped_column(default=0)
    skipped_lines: Mapped[list[int] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(255))
    job_id: Mapped[str | None] = mapped_column(String(32))


class AppAccount(Base):
    """An account of the city app: its phone number's keyed hash, nothing else."""

    __tablename__ = "app_accounts"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("app_account_lists.id", ondelete="CASCADE"), primary_key=True
    )
    phone_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
