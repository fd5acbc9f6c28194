"""Running one job: the context a task function gets, heartbeat, outcome.

A task function (registered with :func:`task` under a kind) receives a
:class:`JobContext`: its params, ``progress(done, total)`` and ``output(name, mime)``
(a storage writer). It calls the same services and renderers as the CLI. It raises
:class:`JobFailed` (or any DomainError) with a Vietnamese sentence for the owner;
anything else is logged (type and traceback, never values) and shown as a generic
failure. Every state change is its own short transaction.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, BinaryIO

from flask import Flask

from .. import db
from ..errors import N_, DomainError
from ..storage import get_storage
from . import services

log = logging.getLogger("signage.jobs")

TaskFn = Callable[["JobContext"], None]
TASKS: dict[str, TaskFn] = {}

GENERIC_ERROR = N_("Đã có lỗi khi xử lý việc này. Vui lòng thử lại sau.")
DISK_FULL = N_(
    "Máy chủ đã hết chỗ lưu tệp nên việc này không hoàn thành. "
    "Vui lòng báo quản trị viên."
)
PROGRESS_EVERY_S = 0.5


class JobFailed(DomainError):
    """Raised by a task function: the job ends failed with this message."""


class Cancelled(Exception):
    """The job was cancelled (or taken back by the reaper): stop quietly."""


def task(kind: str) -> Callable[[TaskFn], TaskFn]:
    """Register a task function for jobs of ``kind``."""

    def register(fn: TaskFn) -> TaskFn:
        if kind in TASKS and TASKS[kind] is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        TASKS[kind] = fn
        return fn

    return register


class JobContext:
    def __init__(
        self, app: Flask, job_id: str, params: dict[str, Any], owner: int | None
    ):
        self.app = app
        self.job_id = job_id
        self.params = params
        self.owner_id = owner
        self.total: int | None = None
        self.file: tuple[str, str, str] | None = None  # key, name, mime
        self._last = 0.0

    def _step(self, fn: Callable[..., bool], *args: Any) -> bool:
        with db.get_db(self.app).write() as s:
            ok = fn(s, self.job_id, *args)
            s.commit()
        return ok

    def progress(
        self, done: int, total: int | None = None, *, force: bool = False
    ) -> None:
        """Record progress at most every half second (and always when ``force`` or
        when done reaches the total); raises Cancelled when the job was cancelled."""
        if total is not None:
            self.total = total
        now = time.monotonic()
        last = self.total is not None and done >= self.total
        if not (
            force or last or total is not None or now - self._last >= PROGRESS_EVERY_S
        ):
            return
        self._last = now
        if not self._step(services.progress, done, total):
            raise Cancelled

    @contextmanager
    def output(self, name: str, mime: str) -> Iterator[BinaryIO]:
        """Write the job's result file (to a temporary name, renamed when the block
        ends without error). Offered for download only once the job is done."""
        key = f"jobs/{self.job_id}/{name}"
        with get_storage(self.app).writer(key) as f:
            yield f
        self.file = (key, name, mime)


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat every few seconds while its task runs, so a job
    busy in one long step (ffmpeg) is not mistaken for a lost one."""

    def __init__(self, ctx: JobContext, every_s: float) -> None:
        super().__init__(name=f"heartbeat-{ctx.job_id[:8]}", daemon=True)
        self.ctx, self.every_s = ctx, every_s
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            try:
                if not self.ctx._step(services.heartbeat):
                    return
            except Exception:  # a busy database: the next beat will do
                log.warning("job %s: heartbeat failed", self.ctx.job_id)


def _message(e: BaseException) -> str:
    if isinstance(e, DomainError) and e.message:
        return e.message
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DISK_FULL
    return GENERIC_ERROR


def execute(app: Flask, job_id: str) -> str:
    """Run a queued job to its end; returns the final state (or "skipped" when the
    job was not queued: cancelled before it started, or taken by another consumer)."""
    from . import kinds  # noqa: F401  (registers every kind's task function)

    write = db.get_db(app).write
    with write() as s:
        job = services.start(s, job_id)
        s.commit()
        if job is None:
            return "skipped"
        kind, owner = job.kind, job.owner_id
        params = {**(job.params or {}), **services.private_params(job)}
    fn = TASKS.get(kind)
    ctx = JobContext(app, job_id, params, owner)
    beat = _Heartbeat(ctx, float(app.config["JOBS_HEARTBEAT_SECONDS"]))
    beat.start()
    try:
        if fn is None:
            raise JobFailed(N_("Loại việc này không còn được hỗ trợ."))
        with app.app_context():
            fn(ctx)
    except Cancelled:
        _drop_file(app, ctx)
        return "cancelled"
    except Exception as e:
        _drop_file(app, ctx)
        cause = e if not isinstance(e, DomainError) else e.__cause__
        if cause is not None and not isinstance(cause, DomainError):
            # The type and where, never the message: it may quote personal data.
            where = "".join(traceback.format_tb(cause.__traceback__))
            name = type(cause).__name__
            log.error("job %s (%s) failed: %s\n%s", job_id, kind, name, where)
        with write() as s:
            services.fail(s, job_id, _message(e))
            s.commit()
        return "failed"
    finally:
        beat.stop.set()
        beat.join()
    key: str | None = None
    file_name: str | None = None
    mime: str | None = None
    if ctx.file is not None:
        key, file_name, mime = ctx.file
    with write() as s:
        ok = services.finish(
            s,
            job_id,
            file_key=key,
            file_name=file_name,
            file_mime=mime,
            expires=timedelta(hours=float(app.config["JOB_FILES_HOURS"])),
        )
        s.commit()
    if not ok:
        _drop_file(app, ctx)
        return "cancelled"
    return "done"


def _drop_file(app: Flask, ctx: JobContext) -> None:
    if ctx.file is not None:
        get_storage(app).delete(ctx.file[0])
        ctx.file = None
