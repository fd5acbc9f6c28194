"""A real consumer process (`flask jobs consume`), killed with SIGKILL mid-job.

The job must not stay "running": its heartbeat stops, the next consumer's reaper
puts it back on the queue within JOBS_STALE_SECONDS + a second of starting, and it
is then done and downloadable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from signage.jobs.models import JobState
from signage.storage import get_storage

from ..helpers import login, start_org_batch
from .conftest import job_id_of, read_job

ROOT = Path(__file__).resolve().parents[2]
STALE_S = 2.0
BOUND_S = 60.0  # stale + reaper delay + the rerun of a few hundred boards, with room


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "JOBS_IMMEDIATE": False,
        "JOBS_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "STORAGE_DIR": str(tmp_path / "files"),
        "JOBS_HEARTBEAT_SECONDS": 0.3,
        "JOBS_STALE_SECONDS": STALE_S,
        "JOBS_MAX_ATTEMPTS": 2,
    }


def _consumer(app: Any, tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    keys = (
        "SECRET_KEY",
        "PUBLIC_BASE_URL",
        "DATABASE_URL",
        "JOBS_URL",
        "STORAGE_DIR",
        "JOBS_HEARTBEAT_SECONDS",
        "JOBS_STALE_SECONDS",
        "JOBS_MAX_ATTEMPTS",
    )
    env = {**os.environ, "SIGNAGE_ENV": "testing"}
    env.update({f"SIGNAGE_{k}": str(app.config[k]) for k in keys})
    with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its copy
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi",
                "jobs",
                "consume",
                "-w",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait(pred: Any, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_job_whose_consumer_is_killed_is_retried_and_done(
    app, client, session, manager_world, tmp_path
):
    org, user = manager_world(1000)
    login(client, user)
    job_id = job_id_of(start_org_batch(client, org.id))
    first = _consumer(app, tmp_path, "first")
    second = None
    try:
        _wait(
            lambda: read_job(session, job_id).done > 0,
            60,
            "the first consumer to make progress",
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        job = read_job(session, job_id)
        assert job.state is JobState.RUNNING and 0 < job.done < job.total
        killed_at = time.monotonic()

        second = _consumer(app, tmp_path, "second")
        _wait(
            lambda: read_job(session, job_id).state is not JobState.RUNNING,
            BOUND_S,
            "the lost job to be taken back",
        )
        _wait(
            lambda: read_job(session, job_id).state is JobState.DONE,
            BOUND_S,
            "the retried job to finish",
        )
        assert time.monotonic() - killed_at < BOUND_S * 2
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    job = read_job(session, job_id)
    assert job.attempts == 2 and job.done == job.total == 1000
    data = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
    resp = client.get(data.get_json()["download"])
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    resp.close()
    # The killed run's temporary file was never offered; the sweep removes it.
    storage = get_storage(app)
    parts = list(storage.root.rglob("*.part"))
    assert len(parts) == 1 and parts[0].name.startswith(".bang-qr")
    assert storage.sweep("jobs", 0) == 1
    assert [p.name for p in storage.root.rglob("*") if p.is_file()] == [
        f"bang-qr-to-chuc-{org.id}-a4.pdf"
    ]
