"""A background job as its owner sees it: state, progress, error, result file."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..crypto import Encrypted
from ..db import Base, UTCDateTime, created_ts


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (JobState.QUEUED, JobState.RUNNING)
# Used by the partial unique index below (SQL text, same on SQLite and PostgreSQL).
_ACTIVE_SQL = text("state IN ('queued', 'running') AND dedupe_key IS NOT NULL")


class Job(Base):
    __tablename__ = "jobs"

    # secrets.token_hex(16): the id is in URLs, so it must not be guessable.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE")
    )
    # What the task needs that names no one (ids, dates, a format): plain JSON.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # What may name someone (a log search, an uploaded CSV's text): JSON encrypted
    # at rest (signage/crypto.py), merged into the task's params, and cleared as
    # soon as the job ends (done, failed, cancelled). Never shown on a page.
    private: Mapped[str | None] = mapped_column(Encrypted("jobs.private"))
    # What the list shows ("Bảng QR – Công ty A"): set when queued, plain text.
    title: Mapped[str] = mapped_column(String(255), default="")
    state: Mapped[JobState] = mapped_column(
        Enum(
            JobState,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        default=JobState.QUEUED,
    )
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_ts]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A Vietnamese sentence for the owner; never a traceback, never personal data.
    error: Mapped[str | None] = mapped_column(Text)
    # The result in signage.storage, offered only while state is done and unexpired.
    file_key: Mapped[str | None] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_mime: Mapped[str | None] = mapped_column(String(100))
    file_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The same request while one is queued or running returns that job.
    dedupe_key: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_jobs_owner_created", "owner_id", "created_at"),
        Index("ix_jobs_state_heartbeat", "state", "heartbeat_at"),
        Index("ix_jobs_file_expires", "file_expires_at"),
        Index("ix_jobs_finished", "finished_at"),
        Index(
            "uq_jobs_active_dedupe",
            "dedupe_key",
            unique=True,
            sqlite_where=_ACTIVE_SQL,
            postgresql_where=_ACTIVE_SQL,
        ),
    )

    @property
    def active(self) -> bool:
        return self.state in ACTIVE
