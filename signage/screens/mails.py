"""The screens' mails, rendered from templates/screens/mail/ and queued in the
caller's transaction (needs an app context for templates and addresses, never a
request, so the periodic job sends them)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from sqlalchemy.orm import Session

from .. import timefmt
from ..db import utcnow
from ..mail.services import queue_mail
from . import devices


def alert_offline(session: Session, minutes: int, now: datetime | None = None) -> int:
    """Tell each offline screen's owners once per outage (flushed, not committed).
    Returns how many screens were reported."""
    now = now or utcnow()
    base = str(current_app.config["PUBLIC_BASE_URL"])
    count = 0
    for screen in devices.offline_due(session, minutes, now):
        text = render_template(
            "screens/mail/offline.txt",
            screen=screen,
            last_seen=timefmt.fmt_datetime(screen.last_seen_at),
            minutes=minutes,
            link=f"{base}/screens/devices/{screen.id}",
        )
        for address in devices.owner_addresses(session, screen):
            queue_mail(
                session,
                to=address,
                subject=f"Màn hình “{screen.name}” mất kết nối / Screen offline",
                text=text,
                kind="screens.offline",
                org_id=screen.organisation_id,
            )
        screen.offline_alerted_at = now
        count += 1
    session.flush()
    return count
