"""The job queue: one Huey instance per app, on SQLite (default) or Redis.

Huey carries only "run job X" messages and the periodic schedule; the job's state,
progress and result live in the ``jobs`` table, so any host can show them. The queue
storage is chosen from ``JOBS_URL`` (or ``REDIS_URL``):

- empty: ``instance/jobs-queue.db``, a SQLite file of its own (the main database's
  write lock is never shared with the queue's polling);
- ``redis://host:6379/2``: Redis, so consumers on several hosts share one queue.

The consumer is ``flask --app wsgi jobs consume`` (Huey's own consumer; see cli.py).
Jobs are enqueued only after the transaction that created them commits: a consumer
can never pick up a job row that does not exist yet, and a rolled-back request
queues nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from huey import Huey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import event
from sqlalchemy.orm import Session

from .. import db
from . import housekeeping, runner, services
from .models import Job

EXT_KEY = "signage.jobs.huey"
QUEUE_NAME = "signage"


def queue_url(app: Flask) -> str:
    return str(app.config.get("JOBS_URL") or app.config.get("REDIS_URL") or "")


def _make(app: Flask) -> Huey:
    url = queue_url(app)
    immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    # results=False: nobody reads Huey's result store (the jobs table is the record).
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = RedisHuey(QUEUE_NAME, url=url, immediate=immediate, results=False)
    else:
        path = (
            Path(url.removeprefix("sqlite:///"))
            if url.startswith("sqlite:///")
            else Path(app.instance_path) / "jobs-queue.db"
        )
        if not immediate:
            path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey(
            QUEUE_NAME, filename=str(path), immediate=immediate, results=False
        )
    _register(huey, app)
    return huey


def get_huey(app: Flask) -> Huey:
    """The app's Huey, made on first use (no file or connection at create_app)."""
    huey: Huey | None = app.extensions.get(EXT_KEY)
    if huey is None:
        huey = app.extensions[EXT_KEY] = _make(app)
    return huey


def _register(huey: Huey, app: Flask) -> None:
    @huey.task(name="signage.run_job")
    def run_job(job_id: str) -> str:
        return runner.execute(app, job_id)

    @huey.task(name="signage.send_mail")
    def send_mail_task(mail_id: int) -> str:
        from ..mail import delivery

        return delivery.deliver(app, mail_id)

    @huey.task(name="signage.reap_jobs")
    def reap_jobs() -> int:
        return reap(app)

    @huey.periodic_task(crontab(minute="*"), name="signage.reap_jobs_periodic")
    def reap_jobs_periodic() -> int:
        return reap(app)

    @huey.on_startup("signage.reap_after_start")
    def reap_after_start() -> None:
        # A consumer (re)started after a crash: look again once the dead one's
        # heartbeats have gone stale, without waiting for the minute tick.
        reap_jobs.schedule(delay=float(app.config["JOBS_STALE_SECONDS"]) + 1)

    for entry in housekeeping.PERIODIC:
        _periodic(huey, app, entry)

    app.extensions[EXT_KEY + ".run_job"] = run_job
    app.extensions[EXT_KEY + ".send_mail"] = send_mail_task


def _periodic(huey: Huey, app: Flask, entry: housekeeping.Periodic) -> None:
    def run() -> Any:
        with app.app_context():
            return entry.fn(app)

    run.__name__ = entry.name.replace(".", "_")
    huey.periodic_task(crontab(**entry.schedule), name=f"signage.{entry.name}")(run)


def enqueue(app: Flask, job_id: str) -> None:
    get_huey(app)
    app.extensions[EXT_KEY + ".run_job"](job_id)


def send_mail(app: Flask, mail_id: int) -> None:
    """Queue one attempt at an outbox mail (signage/mail/delivery.py)."""
    get_huey(app)
    app.extensions[EXT_KEY + ".send_mail"](mail_id)


_PENDING = "signage.jobs.pending"


def submit(app: Flask, session: Session, req: services.JobRequest) -> Job:
    """Create the job (or find its running twin) in ``session`` and queue it once
    that session commits (the request boundary, or the caller). A rollback, such as
    the boundary re-running a view that lost a race, forgets it. Returns the job to
    redirect to. Its dedupe key is keyed with the app secret (services.seal)."""
    if req.dedupe_key:
        secret = str(app.config["SECRET_KEY"])
        req = replace(req, dedupe_key=services.seal(secret, req.dedupe_key))
    job, created = services.create_job(session, req)
    if created:
        pending: list[str] | None = session.info.get(_PENDING)
        if pending is None:
            pending = session.info[_PENDING] = []
            event.listen(session, "after_commit", _enqueue_pending(app))
            event.listen(session, "after_rollback", _forget_pending)
        pending.append(job.id)
    return job


def _enqueue_pending(app: Flask) -> Callable[[Session], None]:
    def after_commit(session: Session) -> None:
        pending: list[str] = session.info.get(_PENDING) or []
        while pending:
            enqueue(app, pending.pop(0))

    return after_commit


def _forget_pending(session: Session) -> None:
    session.info.get(_PENDING, []).clear()


def reap(app: Flask) -> int:
    """Resolve lost jobs (see services.reap); re-queue the retried ones."""
    cfg = app.config
    with db.get_db(app).write() as s:
        out = services.reap(
            s,
            stale=_seconds(cfg["JOBS_STALE_SECONDS"]),
            max_attempts=int(cfg["JOBS_MAX_ATTEMPTS"]),
            starved=_seconds(float(cfg["JOB_FILES_HOURS"]) * 3600),
        )
        s.commit()
    for job_id in out.requeued:
        enqueue(app, job_id)
    return len(out.requeued) + len(out.failed) + _requeue_lost_messages(app)


def _requeue_lost_messages(app: Flask) -> int:
    """Queued jobs with no message in the queue (lost between a consumer taking it
    and starting it, or a flushed Redis) get one again. A twin message is harmless:
    only one run can move the job from queued to running."""
    stale = _seconds(app.config["JOBS_STALE_SECONDS"])
    with db.get_db(app).read() as s:
        waiting = services.waiting(s, older_than=stale)
    if not waiting:
        return 0
    huey = get_huey(app)
    queued = {
        t.args[0] for t in huey.pending() if t.name == "signage.run_job" and t.args
    }
    lost = [job_id for job_id in waiting if job_id not in queued]
    for job_id in lost:
        enqueue(app, job_id)
    return len(lost)


def _seconds(value: Any) -> timedelta:
    return timedelta(seconds=float(value))
