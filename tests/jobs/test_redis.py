"""The queue on Redis (several hosts): the same flow as on SQLite.

Uses SIGNAGE_TEST_REDIS_URL (default redis://127.0.0.1:56379/5); skipped when no
Redis answers there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import redis

from signage.jobs import queue
from signage.jobs.models import JobState

from ..helpers import login, start_org_batch
from .conftest import job_id_of, read_job

REDIS_URL = os.environ.get("SIGNAGE_TEST_REDIS_URL", "redis://127.0.0.1:56379/5")


def _redis_up() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False
    return True


pytestmark = pytest.mark.skipif(not _redis_up(), reason=f"no Redis at {REDIS_URL}")


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "JOBS_IMMEDIATE": False,
        "JOBS_URL": "",
        "REDIS_URL": REDIS_URL,
        "STORAGE_DIR": str(tmp_path / "files"),
    }


def test_a_job_goes_through_redis_and_is_done_by_whoever_takes_it(
    app, client, session, manager_world
):
    huey = queue.get_huey(app)
    huey.flush()
    try:
        org, user = manager_world(2)
        login(client, user)
        job_id = job_id_of(start_org_batch(client, org.id))
        assert len(huey) == 1 and type(huey.storage).__name__ == "RedisStorage"
        # What a consumer on any host does with the message:
        huey.execute(huey.dequeue())
        job = read_job(session, job_id)
        assert job.state is JobState.DONE and job.done == job.total == 2
        resp = client.get(f"/jobs/{job_id}/file")
        assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
        resp.close()
    finally:
        huey.flush()
