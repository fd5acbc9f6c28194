"""Job rules: create (deduplicated), who may see one, progress, finish, reap.

Everything takes a Session and flushes; the callers commit (a view once per request,
the task runner once per short step, so progress never holds a lock for long).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Result, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from ..accounts.models import Role, User
from ..db import utcnow
from ..errors import N_, NotFound
from .models import ACTIVE, Job, JobState

LOST_MESSAGE = N_(
    "Việc bị gián đoạn vì máy xử lý dừng đột ngột và đã thử lại không thành công. "
    "Vui lòng tạo lại."
)
STARVED_MESSAGE = N_("Việc chờ quá lâu mà chưa được xử lý. Vui lòng tạo lại.")
RECENT_LIMIT = 50


def _changed(result: Result[Any]) -> bool:
    """Whether an UPDATE matched a row (a DML statement gives a CursorResult)."""
    return bool(cast(CursorResult[Any], result).rowcount)


def new_id() -> str:
    return secrets.token_hex(16)  # 128 bits; hex is safe in URLs and file names


@dataclass(frozen=True)
class JobRequest:
    kind: str
    owner_id: int | None
    params: dict[str, Any]
    title: str
    total: int = 0
    # Two requests with the same key while the first is queued or running give one
    # job; include the owner in it (callers build it with dedupe_key()).
    dedupe_key: str | None = None
    # Parameters that may name someone (a search text, a CSV's content): stored
    # encrypted, given to the task with ``params``, forgotten when the job ends.
    private: dict[str, Any] = field(default_factory=dict)


def dedupe_key(kind: str, owner_id: int | None, *parts: Any) -> str:
    """``kind:owner:digest`` of what was asked (hashed: the key has a fixed length
    whatever the parts are). The parts may hold a search text: ``queue.submit``
    keys the digest with the app secret (:func:`seal`) before it is stored."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"{kind}:{owner_id}:{digest}"


def seal(secret: str, key: str) -> str:
    """``key`` with its digest replaced by an HMAC of the app secret: a plain hash
    of a phone number searched for is reversed by trying every number."""
    prefix, _sep, digest = key.rpartition(":")
    mac = hmac.new(secret.encode(), b"job\0" + digest.encode(), hashlib.sha256)
    return f"{prefix}:{mac.hexdigest()[:40]}"[:255]


def active_duplicate(session: Session, key: str) -> Job | None:
    return session.scalar(
        select(Job).where(Job.dedupe_key == key, Job.state.in_(ACTIVE)).limit(1)
    )


def create_job(session: Session, req: JobRequest) -> tuple[Job, bool]:
    """A new queued job, or the active job with the same dedupe key.

    Returns (job, created). The insert runs in a savepoint, so a concurrent twin that
    won the unique index is found and returned instead of failing the request.
    """
    if req.dedupe_key:
        existing = active_duplicate(session, req.dedupe_key)
        if existing is not None:
            return existing, False
    job = Job(
        id=new_id(),
        kind=req.kind,
        owner_id=req.owner_id,
        params=req.params,
        private=json.dumps(req.private, ensure_ascii=False) if req.private else None,
        title=req.title[:255],
        total=req.total,
        state=JobState.QUEUED,
        dedupe_key=req.dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        if req.dedupe_key:
            existing = active_duplicate(session, req.dedupe_key)
            if existing is not None:
                return existing, False
        raise
    return job, True


def can_see(user: User, job: Job) -> bool:
    return user.role is Role.ADMIN or (
        job.owner_id is not None and job.owner_id == user.id
    )


def job_for(session: Session, job_id: str, user: User) -> Job:
    """The job if ``user`` asked for it (or is the province admin); else NotFound,
    the same answer as for an id that does not exist."""
    job = session.get(Job, job_id[:32])
    if job is None or not can_see(user, job):
        raise NotFound(N_("Không tìm thấy việc này."))
    return job


def recent_jobs(
    session: Session, owner_id: int, limit: int = RECENT_LIMIT
) -> list[Job]:
    q = (
        select(Job)
        .options(defer(Job.params))  # a staged CSV import can be megabytes
        .where(Job.owner_id == owner_id)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
    )
    return list(session.scalars(q))


def file_available(job: Job, now: datetime | None = None) -> bool:
    return (
        job.state is JobState.DONE
        and job.file_key is not None
        and (job.file_expires_at is None or job.file_expires_at > (now or utcnow()))
    )


def private_params(job: Job) -> dict[str, Any]:
    """The job's encrypted parameters (empty once it ended)."""
    return dict(json.loads(job.private)) if job.private else {}


def cancel(session: Session, job: Job) -> bool:
    """Cancel a queued or running job; a running task notices at its next progress
    step (its updates only apply while the state is running). False if it had
    already ended."""
    result = session.execute(
        update(Job)
        .where(Job.id == job.id, Job.state.in_(ACTIVE))
        .values(state=JobState.CANCELLED, finished_at=utcnow(), private=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(job)
    return _changed(result)


# The runner's steps (each in its own short transaction) ------------------------------


def start(session: Session, job_id: str) -> Job | None:
    """Queued -> running (attempts + 1, progress reset). None when the job is no
    longer queued (cancelled, or already taken by another consumer)."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.QUEUED)
        .values(
            state=JobState.RUNNING,
            started_at=now,
            heartbeat_at=now,
            attempts=Job.attempts + 1,
            done=0,
        )
        .execution_options(synchronize_session=False)
    )
    if not _changed(result):
        return None
    return session.get(Job, job_id, populate_existing=True)


def _while_running(session: Session, job_id: str, **values: Any) -> bool:
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return _changed(result)


def progress(session: Session, job_id: str, done: int, total: int | None) -> bool:
    """Record progress (and a heartbeat). False when the job is no longer running
    (cancelled, or reaped): the task must stop."""
    values: dict[str, Any] = {"done": done, "heartbeat_at": utcnow()}
    if total is not None:
        values["total"] = total
    return _while_running(session, job_id, **values)


def heartbeat(session: Session, job_id: str) -> bool:
    return _while_running(session, job_id, heartbeat_at=utcnow())


def finish(
    session: Session,
    job_id: str,
    *,
    file_key: str | None,
    file_name: str | None,
    file_mime: str | None,
    expires: timedelta,
) -> bool:
    """Running -> done with its file. False if it was cancelled meanwhile (the
    caller then deletes the file)."""
    now = utcnow()
    values: dict[str, Any] = {
        "state": JobState.DONE,
        "finished_at": now,
        "private": None,
        "file_key": file_key,
        "file_name": file_name,
        "file_mime": file_mime,
        "file_expires_at": now + expires if file_key else None,
    }
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None and job.total and job.state is JobState.RUNNING:
        values["done"] = max(job.done, job.total)
    return _while_running(session, job_id, **values)


def fail(session: Session, job_id: str, message: str) -> bool:
    return _while_running(
        session,
        job_id,
        state=JobState.FAILED,
        finished_at=utcnow(),
        error=message,
        private=None,
    )


@dataclass
class Reaped:
    requeued: list[str]
    failed: list[str]


def reap(
    session: Session,
    *,
    stale: timedelta,
    max_attempts: int,
    starved: timedelta,
    now: datetime | None = None,
) -> Reaped:
    """Running jobs whose heartbeat stopped (their consumer died) go back to the
    queue, or fail once they have had ``max_attempts`` runs; queued jobs older than
    ``starved`` fail (their queue message was lost). The caller re-enqueues
    ``requeued`` after committing."""
    now = now or utcnow()
    out = Reaped([], [])
    lost = session.scalars(
        select(Job).where(
            Job.state == JobState.RUNNING,
            or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < now - stale),
        )
    ).all()
    for job in lost:
        retry = job.attempts < max_attempts
        values: dict[str, Any] = (
            {"state": JobState.QUEUED, "heartbeat_at": now}
            if retry
            else {
                "state": JobState.FAILED,
                "finished_at": now,
                "error": LOST_MESSAGE,
                "private": None,
            }
        )
        # Conditional on the heartbeat we read: a job that just woke up is left alone.
        result = session.execute(
            update(Job)
            .where(
                Job.id == job.id,
                Job.state == JobState.RUNNING,
                Job.heartbeat_at == job.heartbeat_at
                if job.heartbeat_at is not None
                else Job.heartbeat_at.is_(None),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if _changed(result):
            (out.requeued if retry else out.failed).append(job.id)
    result = session.execute(
        update(Job)
        .where(Job.state == JobState.QUEUED, Job.created_at < now - starved)
        .values(
            state=JobState.FAILED,
            finished_at=now,
            error=STARVED_MESSAGE,
            private=None,
        )
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    out.failed.extend(result.scalars())
    session.flush()
    return out


def waiting(session: Session, *, older_than: timedelta) -> list[str]:
    """Queued jobs that have waited longer than ``older_than`` (since they were made
    or put back): the reaper checks that each still has a queue message."""
    since = utcnow() - older_than
    q = select(Job.id).where(
        Job.state == JobState.QUEUED,
        func.coalesce(Job.heartbeat_at, Job.created_at) < since,
    )
    return list(session.scalars(q))


def expired_files(session: Session, now: datetime | None = None) -> list[str]:
    """Forget the files of jobs past their expiry; returns their storage keys (the
    caller deletes them after committing)."""
    now = now or utcnow()
    rows = session.execute(
        select(Job.id, Job.file_key).where(
            Job.file_key.is_not(None), Job.file_expires_at <= now
        )
    ).all()
    if rows:
        session.execute(
            update(Job)
            .where(Job.id.in_([r.id for r in rows]))
            .values(file_key=None)
            .execution_options(synchronize_session=False)
        )
        session.flush()
    return [r.file_key for r in rows]


def old_jobs(
    session: Session, before: datetime, limit: int
) -> list[tuple[str, str | None]]:
    """Up to ``limit`` jobs that ended before ``before``: (id, file key)."""
    rows = session.execute(
        select(Job.id, Job.file_key)
        .where(Job.state.not_in(ACTIVE), Job.finished_at < before)
        .order_by(Job.finished_at)
        .limit(limit)
    ).all()
    return [(r.id, r.file_key) for r in rows]


def delete_jobs(session: Session, ids: list[str]) -> int:
    result = session.execute(
        delete(Job).where(Job.id.in_(ids)).execution_options(synchronize_session=False)
    )
    session.flush()
    return max(cast(CursorResult[Any], result).rowcount, 0)
