"""Delivering the outbox: after a commit, by the job queue, with retries.

- :func:`install` hooks the app's sessions: the ids ``queue_mail`` noted in a Session
  are handed to the queue once that Session commits (a rollback forgets them).
- :func:`deliver` (the queue's ``signage.send_mail`` task) makes one attempt: claim
  the row in a short transaction, talk to the SMTP server with no transaction open,
  record the outcome in another.
- :func:`sweep` (every minute, ``jobs/housekeeping.py``) queues the mails whose retry
  is due, and puts back those a dead worker had claimed.

Logs name the mail by id and kind, never its address, subject or body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .. import db
from . import services, transport
from .models import MailState, Transport

log = logging.getLogger("signage.mail")

# A claim older than this is taken as lost (its worker died mid-conversation).
STUCK_AFTER = timedelta(minutes=10)


def install(app: Flask) -> None:
    """Send what a Session queued once it commits (every Session of the app)."""
    database = db.get_db(app)
    for maker in (database.read, database.write):
        event.listen(maker, "after_commit", _after_commit(app))
        event.listen(maker, "after_transaction_end", _after_end)


def _after_commit(app: Flask) -> Callable[[Session], None]:
    def after_commit(session: Session) -> None:
        pending: list[int] = session.info.pop(services.PENDING_KEY, None) or []
        if not pending:
            return
        from ..jobs import queue

        for mail_id in pending:
            try:
                queue.send_mail(app, mail_id)
            except Exception:  # the queue is down: the sweep sends it later
                log.exception("mail %s: could not be queued", mail_id)

    return after_commit


def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended: rolled back
        session.info.pop(services.PENDING_KEY, None)


def sender(app: Flask) -> str:
    """MAIL_FROM, or no-reply@ the public host."""
    configured = str(app.config.get("MAIL_FROM") or "")
    if configured:
        return configured
    host = urlsplit(str(app.config["PUBLIC_BASE_URL"])).hostname or "localhost"
    return f"no-reply@{host}"


def smtp_settings(app: Flask) -> transport.SmtpSettings | None:
    """The SMTP server, or None: development without SMTP_URL keeps mail in the
    outbox (production refuses to start without it, see create_app)."""
    url = str(app.config.get("SMTP_URL") or "")
    return transport.parse_smtp_url(url) if url else None


def deliver(app: Flask, mail_id: int) -> str:
    """One attempt at one mail; returns its state afterwards ("skipped" when it
    was not due or taken by another worker)."""
    write = db.get_db(app).write
    from_ = sender(app)
    with write() as s:
        mail = services.claim(s, mail_id, message_id=transport.new_message_id(from_))
        s.commit()
    if mail is None:
        return "skipped"
    settings = smtp_settings(app)
    if settings is None:
        with write() as s:
            services.mark_sent(s, mail.id, Transport.OUTBOX)
            s.commit()
        log.info("mail %s kept in the development outbox", mail.id)
        return MailState.SENT.value
    message = transport.build(
        transport.Message(
            sender=from_,
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            message_id=mail.message_id,
            date=mail.created_at,
        )
    )
    try:
        transport.send(settings, message)
    except Exception as e:  # refused, unreachable, timed out, bad address...
        cfg = app.config
        with write() as s:
            state = services.mark_attempt_failed(
                s,
                mail.id,
                transport.describe(e),
                max_attempts=int(cfg["MAIL_MAX_ATTEMPTS"]),
                base_s=float(cfg["MAIL_RETRY_SECONDS"]),
                cap_s=float(cfg["MAIL_RETRY_MAX_SECONDS"]),
                permanent=transport.permanent(e),
            )
            s.commit()
        # The error's class only: the server's reply may quote the address.
        log.warning(
            "mail %s attempt %s failed (%s): %s",
            mail.id,
            mail.attempts,
            type(e).__name__,
            state.value,
        )
        return state.value
    with write() as s:
        services.mark_sent(s, mail.id, Transport.SMTP)
        s.commit()
    log.info("mail %s sent", mail.id)
    return MailState.SENT.value


def sweep(app: Flask) -> int:
    """Queue every mail whose attempt is due (first tries the queue missed, and
    retries after their back-off); put back mails a dead worker had claimed.
    Returns how many were queued."""
    from ..jobs import queue

    with db.get_db(app).write() as s:
        services.release_stuck(s, older_than=STUCK_AFTER)
        ids = services.due(s)
        s.commit()
    for mail_id in ids:
        queue.send_mail(app, mail_id)
    return len(ids)


def purge(app: Flask) -> int:
    with db.get_db(app).write() as s:
        n = services.purge_sent(
            s, older_than=timedelta(days=float(app.config["MAIL_KEEP_DAYS"]))
        )
        s.commit()
    return n
