"""Venue CSV imports above IMPORT_JOB_ROWS run as a job, chunked, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.venues import jobs as venue_jobs
from signage.venues import services as venue_services
from signage.venues.models import Venue

from ..helpers import login
from ..venues.test_import_views import _confirm, _csv, _upload
from .conftest import job_id_of, read_job


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"IMPORT_JOB_ROWS": 2}


def _count(session, org) -> int:
    return session.scalar(
        select(func.count(Venue.id)).where(Venue.organisation_id == org.id)
    )


def _rows(n: int) -> list[tuple[str, ...]]:
    return [(f"Quầy {i}", f"{i} Lê Lợi", "", "", "") for i in range(n)]


def test_a_large_import_is_a_job_that_adds_every_venue(
    client, session, make_org, make_user, monkeypatch
):
    monkeypatch.setattr(venue_jobs, "CHUNK", 2)
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    page = _upload(client, org, _csv(_rows(5))).get_data(as_text=True)
    job_id = job_id_of(_confirm(client, org, page))
    job = read_job(session, job_id)
    assert job.state.value == "done" and (job.done, job.total) == (5, 5)
    assert _count(session, org) == 5


def test_a_failing_chunk_undoes_the_chunks_before_it(
    client, session, make_org, make_user, monkeypatch
):
    monkeypatch.setattr(venue_jobs, "CHUNK", 2)
    real = venue_services.create_venues
    calls = {"n": 0}

    def third_chunk_fails(*args: Any, **kw: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("database went away")
        return real(*args, **kw)

    monkeypatch.setattr(venue_services, "create_venues", third_chunk_fails)
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    page = _upload(client, org, _csv(_rows(5))).get_data(as_text=True)
    job = read_job(session, job_id_of(_confirm(client, org, page)))
    assert job.state.value == "failed"
    assert job.error == venue_jobs.FAILED
    assert _count(session, org) == 0


def test_a_small_import_stays_direct(client, session, make_org, make_user):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    page = _upload(client, org, _csv(_rows(2))).get_data(as_text=True)
    resp = _confirm(client, org, page)
    assert "/jobs/" not in resp.headers["Location"]
    assert _count(session, org) == 2
