"""The audit log: every access by staff to personal data leaves a row here.

Rows are append-only; nothing in the application updates or deletes them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import Base, created_ts, intpk


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[intpk]
    at: Mapped[created_ts]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str] = mapped_column(String(64), default="")

    __table_args__ = (Index("ix_audit_events_at", "at"),)

    @property
    def detail_dict(self) -> dict[str, Any]:
        return json.loads(self.detail or "{}")


def record(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    target: str = "",
    reason: str = "",
    ip: str = "",
    at: datetime | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit row (flushed, not committed: it commits with the caller's work)."""
    event = AuditEvent(
        user_id=user_id,
        action=action,
        target=target,
        reason=reason,
        ip=ip,
        detail=json.dumps(detail, ensure_ascii=False, default=str),
    )
    if at is not None:
        event.at = at
    session.add(event)
    session.flush()
    return event


def search_digest(secret: str, text: str) -> str:
    """What an audit row records of a search text that may be a name or a number:
    a keyed digest (16 hex), never the text. An auditor asked "did anyone look
    for X?" computes it for X (``flask`` shell, the app secret) and looks for it."""
    if not text:
        return ""
    mac = hmac.new(secret.encode(), b"search\0" + text.encode(), hashlib.sha256)
    return mac.hexdigest()[:16]
