"""Outbox rules: queue a mail, claim it for one attempt, record the outcome.

Everything takes a Session and flushes; the caller commits (the request boundary,
a CLI command, or the delivery task's short transactions in ``delivery.py``).
Nothing here logs an address, a subject or a body: they are personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import Conflict, Invalid, NotFound
from ..text import clean_text
from .models import MailState, OutboxMail, Transport

# Read by delivery.py: ids queued in a Session, sent once it commits.
PENDING_KEY = "signage.mail.pending"
LIST_LIMIT = 200


def queue_mail(
    session: Session,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    kind: str,
    org_id: int | None = None,
) -> OutboxMail:
    """Add a mail to the outbox (flushed). It is sent by the job queue once the
    caller's transaction commits (nothing is sent if it rolls back), with retries
    and back-off (MAIL_MAX_ATTEMPTS). ``to`` is one address; ``kind`` names what the
    mail is for ("accounts.invite"). Raises Invalid for an address with no "@" or a
    header-breaking subject."""
    to = to.strip()
    if "@" not in to or any(c in to for c in "\r\n,;<> "):
        raise Invalid("Địa chỉ email không hợp lệ.", field="email")
    subject = clean_text(" ".join(subject.split()))[:255]
    mail = OutboxMail(
        kind=kind[:64],
        to_addr=to[:255],
        subject=subject,
        text=text,
        html=html,
        message_id="",  # set by delivery from MAIL_FROM's domain at first attempt
        org_id=org_id,
        state=MailState.QUEUED,
        attempts=0,
        next_attempt_at=utcnow(),
        body_cleared=False,
    )
    session.add(mail)
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(mail.id)
    return mail


@dataclass(frozen=True)
class Claimed:
    """One attempt's copy of the mail, taken in a transaction that is then
    committed, so the SMTP conversation holds no database lock."""

    id: int
    to: str
    subject: str
    text: str
    html: str | None
    message_id: str
    created_at: datetime
    attempts: int


def _changed(result: Any) -> bool:
    return bool(cast(CursorResult[Any], result).rowcount)


def claim(
    session: Session, mail_id: int, *, message_id: str, now: datetime | None = None
) -> Claimed | None:
    """Take a due, queued mail for one attempt (counted now), or None when it is
    not due, already taken by another worker, sent or failed."""
    now = now or utcnow()
    taken = session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.id == mail_id,
            OutboxMail.state == MailState.QUEUED,
            OutboxMail.next_attempt_at <= now,
        )
        .values(
            state=MailState.SENDING,
            claimed_at=now,
            attempts=OutboxMail.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if not _changed(taken):
        return None
    mail = session.get(OutboxMail, mail_id, populate_existing=True)
    assert mail is not None
    if not mail.message_id:
        mail.message_id = message_id
    session.flush()
    return Claimed(
        id=mail.id,
        to=mail.to_addr,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        message_id=mail.message_id,
        created_at=mail.created_at,
        attempts=mail.attempts,
    )


def mark_sent(
    session: Session,
    mail_id: int,
    transport: Transport,
    *,
    now: datetime | None = None,
) -> None:
    """Delivered: a mail handed to the SMTP server loses its body (it may hold a
    one-time link); one kept in the development outbox keeps it to be read."""
    mail = session.get(OutboxMail, mail_id, populate_existing=True)
    if mail is None:
        return
    mail.state = MailState.SENT
    mail.transport = transport
    mail.sent_at = now or utcnow()
    mail.claimed_at = None
    mail.last_error = None
    if transport is Transport.SMTP:
        mail.text, mail.html, mail.body_cleared = "", None, True
    session.flush()


def backoff(attempts: int, base_s: float, cap_s: float) -> timedelta:
    """Wait before the next attempt: base, 2×base, 4×base... at most ``cap_s``."""
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, attempts - 1)))


def mark_attempt_failed(
    session: Session,
    mail_id: int,
    error: str,
    *,
    max_attempts: int,
    base_s: float,
    cap_s: float,
    permanent: bool = False,
    now: datetime | None = None,
) -> MailState:
    """Record a refused attempt: queued again after the back-off, or failed once
    ``max_attempts`` were made, or at once when the refusal is ``permanent`` (the
    address does not exist). The message stays whole either way."""
    now = now or utcnow()
    mail = session.get(OutboxMail, mail_id, populate_existing=True)
    if mail is None:
        return MailState.FAILED
    mail.last_error = error[:500]
    mail.claimed_at = None
    if permanent or mail.attempts >= max_attempts:
        mail.state = MailState.FAILED
    else:
        mail.state = MailState.QUEUED
        mail.next_attempt_at = now + backoff(mail.attempts, base_s, cap_s)
    session.flush()
    return mail.state


def due(
    session: Session, *, now: datetime | None = None, limit: int = 500
) -> list[int]:
    """Queued mails whose attempt is due, oldest first."""
    return list(
        session.scalars(
            select(OutboxMail.id)
            .where(
                OutboxMail.state == MailState.QUEUED,
                OutboxMail.next_attempt_at <= (now or utcnow()),
            )
            .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
            .limit(limit)
        )
    )


def release_stuck(
    session: Session, *, older_than: timedelta, now: datetime | None = None
) -> int:
    """Mails claimed by a worker that died mid-attempt go back to the queue (the
    attempt stays counted). At worst the server got it and it is sent twice."""
    now = now or utcnow()
    result = session.execute(
        update(OutboxMail)
        .where(
            OutboxMail.state == MailState.SENDING,
            OutboxMail.claimed_at < now - older_than,
        )
        .values(state=MailState.QUEUED, claimed_at=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def retry(session: Session, mail_id: int) -> OutboxMail:
    """The admin sends a failed mail again: a fresh round of attempts, now."""
    mail = get_mail(session, mail_id)
    if mail.state is not MailState.FAILED:
        raise Conflict("Chỉ gửi lại được thư đã gửi không thành công.")
    mail.state = MailState.QUEUED
    mail.attempts = 0
    mail.next_attempt_at = utcnow()
    session.flush()
    session.info.setdefault(PENDING_KEY, []).append(mail.id)
    return mail


def get_mail(session: Session, mail_id: int) -> OutboxMail:
    mail = session.get(OutboxMail, mail_id)
    if mail is None:
        raise NotFound("Không tìm thấy thư.")
    return mail


def recent(
    session: Session, *, state: MailState | None = None, limit: int = LIST_LIMIT
) -> list[OutboxMail]:
    query = select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit)
    if state is not None:
        query = query.where(OutboxMail.state == state)
    return list(session.scalars(query))


def counts(session: Session) -> dict[MailState, int]:
    rows = session.execute(
        select(OutboxMail.state, func.count()).group_by(OutboxMail.state)
    )
    found = {MailState(state): int(n) for state, n in rows}
    return {state: found.get(state, 0) for state in MailState}


# Failures newer than this make the admin's menu say so (older ones stay listed).
RECENT_FAILURES = timedelta(days=7)


def recent_failures(session: Session, *, now: datetime | None = None) -> int:
    """Mails queued within RECENT_FAILURES that failed for good: the number the
    admin's menu shows, so a refusing SMTP server is noticed without opening
    the outbox page (the server cannot mail the admin about itself)."""
    since = (now or utcnow()) - RECENT_FAILURES
    return int(
        session.scalar(
            select(func.count()).where(
                OutboxMail.state == MailState.FAILED, OutboxMail.created_at >= since
            )
        )
        or 0
    )


def purge_sent(session: Session, *, older_than: timedelta) -> int:
    """Forget delivered mails after ``older_than`` (failed ones stay for the admin)."""
    result = session.execute(
        delete(OutboxMail).where(
            OutboxMail.state == MailState.SENT,
            OutboxMail.created_at < utcnow() - older_than,
        )
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)
