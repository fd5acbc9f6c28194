"""The queue without a consumer process: dedupe, cancel, faults, reaper, schedule.

Tasks are run by calling the runner the consumer calls (signage.jobs.runner.execute),
so each step can be checked in between."""

from __future__ import annotations

import errno
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from signage.accounts.models import Role
from signage.db import get_db, utcnow
from signage.jobs import queue, runner, services
from signage.jobs.housekeeping import PERIODIC
from signage.jobs.models import Job, JobState
from signage.posters.models import BoardDownload
from signage.storage import LocalStorage, StorageError, get_storage
from signage.venues.models import Venue

from ..helpers import csrf_token, login, new_job, start_org_batch
from .conftest import job_id_of, read_job


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "JOBS_IMMEDIATE": False,
        "JOBS_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "STORAGE_DIR": str(tmp_path / "files"),
    }


def _files(app) -> list[Path]:
    root = get_storage(app).root
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_same_batch_asked_twice_while_queued_is_one_job(
    app, client, session, manager_world
):
    org, user = manager_world(2)
    login(client, user)
    first = job_id_of(start_org_batch(client, org.id, "a4"))
    second = job_id_of(start_org_batch(client, org.id, "a4"))
    other_size = job_id_of(start_org_batch(client, org.id, "a3"))
    assert first == second and other_size != first
    assert len(queue.get_huey(app)) == 2  # two messages in the SQLite queue

    assert runner.execute(app, first) == "done"
    third = job_id_of(start_org_batch(client, org.id, "a4"))
    assert third != first  # the first has ended: a new request is a new job


def test_a_rolled_back_request_queues_nothing(app, session, manager_world):
    _org, user = manager_world(1)
    with app.test_request_context():
        s = get_db(app).write()
        queue.submit(
            app,
            s,
            services.JobRequest(
                kind="boards.org_batch", owner_id=user.id, params={}, title=""
            ),
        )
        s.rollback()
        s.close()
    assert len(queue.get_huey(app)) == 0


def test_cancel_before_start_means_the_task_never_runs(
    app, client, session, manager_world
):
    org, user = manager_world(2)
    login(client, user)
    job_id = job_id_of(start_org_batch(client, org.id))
    token = csrf_token(client, f"/jobs/{job_id}")
    resp = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token})
    assert resp.status_code == 302
    assert read_job(session, job_id).state is JobState.CANCELLED
    assert runner.execute(app, job_id) == "skipped"
    assert read_job(session, job_id).state is JobState.CANCELLED
    assert _files(app) == []


@runner.task("test.steps")
def _steps(ctx: runner.JobContext) -> None:
    """A test task: n steps, writing a line each; waits on an event at step 2."""
    n = int(ctx.params["n"])
    ctx.progress(0, n)
    with ctx.output("steps.txt", "text/plain") as out:
        for i in range(1, n + 1):
            out.write(f"{i}\n".encode())
            if i == 2 and "gate" in ctx.params:
                _GATES[ctx.params["gate"]].wait(10)
            if ctx.params.get("fail_at") == i:
                raise OSError(errno.ENOSPC, "No space left on device")
            ctx.progress(i, force=True)


_GATES: dict[str, threading.Event] = {}


def _job(app, user, **params: Any) -> str:
    return new_job(
        app,
        services.JobRequest(
            kind="test.steps", owner_id=user.id, params=params, title="T"
        ),
    )


def test_cancel_while_running_stops_at_the_next_step_and_keeps_no_file(
    app, session, make_user
):
    user = make_user(Role.EDITOR)
    _GATES["c"] = threading.Event()
    job_id = _job(app, user, n=5, gate="c")
    result: list[str] = []
    t = threading.Thread(target=lambda: result.append(runner.execute(app, job_id)))
    t.start()
    try:
        for _ in range(200):
            if read_job(session, job_id).done == 1:
                break
            threading.Event().wait(0.02)
        with get_db(app).write() as s:
            assert services.cancel(s, s.get(Job, job_id))
            s.commit()
    finally:
        _GATES["c"].set()
        t.join(10)
    assert result == ["cancelled"]
    job = read_job(session, job_id)
    assert job.state is JobState.CANCELLED and job.done == 1 and job.file_key is None
    assert _files(app) == []


def test_disk_full_mid_write_fails_in_vietnamese_and_leaves_no_file(
    app, client, session, make_user
):
    user = make_user(Role.EDITOR)
    job_id = _job(app, user, n=5, fail_at=3)
    assert runner.execute(app, job_id) == "failed"
    job = read_job(session, job_id)
    assert job.state is JobState.FAILED and job.file_key is None
    assert job.error and job.error.startswith("Máy chủ đã hết chỗ lưu tệp")
    assert _files(app) == []  # not even the .part file
    login(client, user)
    data = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
    assert data.get_json()["download"] is None


def test_a_venue_deleted_mid_batch_fails_the_job_without_a_file(
    app, session, manager_world, monkeypatch
):
    from signage.posters import jobs as board_jobs

    org, user = manager_world(3)
    victim = session.query(Venue).filter_by(organisation_id=org.id).first()
    real_render = board_jobs.pdf.render

    def render_then_delete(boards, *args, **kw):
        def deleting():
            for i, board in enumerate(boards):
                if i == 1:
                    session.execute(delete(BoardDownload))
                    session.execute(delete(Venue).where(Venue.id == victim.id))
                yield board

        return real_render(deleting(), *args, **kw)

    monkeypatch.setattr(board_jobs.pdf, "render", render_then_delete)
    job_id = new_job(
        app,
        services.JobRequest(
            kind=board_jobs.ORG_BATCH,
            owner_id=user.id,
            params={"org_id": org.id, "size": "a4"},
            title="",
        ),
    )
    assert runner.execute(app, job_id) == "failed"
    job = read_job(session, job_id)
    assert job.error and "đã bị xoá trong lúc in bảng" in job.error
    assert job.file_key is None and _files(app) == []


def test_the_reaper_retries_a_silent_job_once_then_fails_it(app, session, make_user):
    user = make_user(Role.EDITOR)
    job_id = _job(app, user, n=1)
    with get_db(app).write() as s:
        services.start(s, job_id)
        s.commit()
    job = read_job(session, job_id)
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.commit()

    assert queue.reap(app) == 1
    job = read_job(session, job_id)
    assert job.state is JobState.QUEUED and job.attempts == 1
    assert len(queue.get_huey(app)) == 1  # put back on the queue

    with get_db(app).write() as s:
        services.start(s, job_id)
        s.commit()
    job = read_job(session, job_id)
    job.heartbeat_at = utcnow() - timedelta(minutes=5)
    session.commit()
    queue.reap(app)
    job = read_job(session, job_id)
    assert job.state is JobState.FAILED and job.attempts == 2
    assert job.error == services.LOST_MESSAGE


def test_a_queued_job_whose_message_was_lost_gets_one_again(app, session, make_user):
    user = make_user(Role.EDITOR)
    job_id = _job(app, user, n=1)  # made, but never put on the queue
    huey = queue.get_huey(app)
    assert queue.reap(app) == 0  # too young to be called lost
    job = read_job(session, job_id)
    job.created_at = utcnow() - timedelta(minutes=5)
    session.commit()
    assert queue.reap(app) == 1 and len(huey) == 1
    assert queue.reap(app) == 0 and len(huey) == 1  # its message is there now
    huey.execute(huey.dequeue())
    assert read_job(session, job_id).state is JobState.DONE


def test_a_live_job_is_left_alone_by_the_reaper(app, session, make_user):
    user = make_user(Role.EDITOR)
    job_id = _job(app, user, n=1)
    with get_db(app).write() as s:
        services.start(s, job_id)
        s.commit()
    assert queue.reap(app) == 0
    assert read_job(session, job_id).state is JobState.RUNNING


def test_housekeeping_is_on_the_queues_schedule(app):
    huey = queue.get_huey(app)

    def due(hour: int, minute: int) -> set[str]:
        return {t.name for t in huey.read_periodic(datetime(2026, 12, 1, hour, minute))}

    assert "signage.checkins.purge" in due(19, 15)  # 02:15 in Vietnam
    assert "signage.cards.purge" in due(19, 40)
    assert "signage.screens.purge_orphans" in due(20, 10)
    assert "signage.accounts.purge_sessions" in due(3, 5)
    assert "signage.jobs.purge_files" in due(3, 45)
    assert "signage.reap_jobs_periodic" in due(3, 46)  # every minute
    assert "signage.reports.refresh_rollups" in due(3, 46)
    assert "signage.mail.send_due" in due(3, 46)
    assert "signage.mail.purge_sent" in due(20, 30)
    assert "signage.accounts.purge_links" in due(20, 40)
    assert due(3, 46) == {
        "signage.reap_jobs_periodic",
        "signage.reports.refresh_rollups",
        "signage.mail.send_due",
    }
    assert {f"signage.{p.name}" for p in PERIODIC} <= set().union(
        *(due(h, m) for h in range(24) for m in range(0, 60, 5))
    )


def test_storage_never_shows_a_half_written_file(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(RuntimeError), storage.writer("jobs/x/a.pdf") as f:
        f.write(b"half")
        assert not storage.exists("jobs/x/a.pdf")
        raise RuntimeError
    assert not storage.exists("jobs/x/a.pdf")
    assert list(tmp_path.rglob("*.part")) == []
    storage.put("jobs/x/a.pdf", b"whole")
    with storage.open("jobs/x/a.pdf") as f:
        assert f.read() == b"whole"
    for bad in ("../etc/passwd", "/abs", "jobs/../../x", "a/.b.part"):
        with pytest.raises(StorageError):
            storage.open(bad)
    storage.delete("jobs/x/a.pdf")
    assert not (tmp_path / "jobs").exists()
