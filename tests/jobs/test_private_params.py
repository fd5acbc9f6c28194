"""Job parameters that may name someone (a log export's search text, an imported
CSV's contacts) are encrypted at rest, kept only while the job may still run, never
shown on its pages or logs, and the job's row and file go on the retention
schedule."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from signage.accounts.models import Role
from signage.checkin import services as checkins
from signage.db import utcnow
from signage.jobs import housekeeping, runner
from signage.jobs.models import Job, JobState
from signage.jobs.services import dedupe_key

from ..helpers import export, login
from ..test_crypto import _files
from .conftest import job_id_of, read_job

SEARCH = "Sentinelquery"  # in a resident's name: the manager searches the log by it
PHONE = "0355 246 813"  # the number searched for in the second export
SENTINELS = [SEARCH.encode(), SEARCH.lower().encode(), b"0355246813", b"355246813"]


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # Queued for real (not run in the request): the row waits with its parameters.
    return {"EXPORT_JOB_ROWS": 0, "JOBS_IMMEDIATE": False}


def _visits(session, venue) -> None:
    for name, phone in (
        (f"Trần Thị {SEARCH}", "0355246813"),
        ("Lê Văn Khác", "0901000001"),
        ("Phạm Văn Nữa", "0901000002"),
    ):
        checkins.check_in(
            session,
            venue,
            checkins.Visitor(name, phone).check(),
            submission_id=checkins.new_submission_id(),
            secret="test",
        )
    session.commit()


@pytest.mark.sqlite_only
def test_a_searched_export_keeps_its_search_encrypted_then_forgets_it(
    app, client, session, make_venue, make_user, caplog
):
    venue = make_venue(name="Quầy Kiểm Tra")
    _visits(session, venue)
    login(client, make_user(Role.MANAGER, venue.organisation))
    base = f"/orgs/{venue.organisation_id}/checkins.csv"
    caplog.set_level(logging.DEBUG)
    job_ids = [
        job_id_of(export(client, f"{base}?q={SEARCH}")),
        job_id_of(export(client, f"{base}?q={PHONE.replace(' ', '+')}")),
    ]
    jobs = [read_job(session, j) for j in job_ids]
    assert [j.state for j in jobs] == [JobState.QUEUED] * 2
    assert "search" not in jobs[0].params and jobs[0].private  # read back in clear
    assert SEARCH in jobs[0].private

    # Not in the database files, nor the queue's, nor on the job's pages.
    def leaked(data: bytes) -> list[str]:
        return [s.decode() for s in SENTINELS if s in data]

    assert leaked(_files(app)) == []
    pages = (
        client.get("/jobs/").get_data() + client.get(f"/jobs/{job_ids[0]}").get_data()
    )
    assert leaked(pages) == []

    # The task gets its search: the file holds only the matching visit.
    assert runner.execute(app, job_ids[0]) == "done"
    assert runner.execute(app, job_ids[1]) == "done"
    for job_id in job_ids:
        state = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
        download = client.get(state.get_json()["download"])
        body = download.get_data().decode("utf-8-sig")
        download.close()
        rows = list(csv.reader(io.StringIO(body)))
        assert len(rows) == 2 and rows[1][5] == "0355246813"
    # Ended: the parameters are gone from the row; nothing in the logs.
    assert [read_job(session, j).private for j in job_ids] == [None, None]
    logged = "\n".join(r.getMessage() for r in caplog.records).encode()
    assert leaked(logged) == []

    # The retention schedule: a month on, the rows and any file left are deleted.
    file_key = read_job(session, job_ids[0]).file_key
    assert file_key
    session.execute(
        text("UPDATE jobs SET finished_at = :t"), {"t": utcnow() - timedelta(days=29)}
    )
    session.commit()
    assert housekeeping.purge_job_rows(app) == 2
    assert session.scalars(select(Job.id)).all() == []
    from signage.storage import get_storage

    assert not (get_storage(app).root / file_key).exists()
    assert leaked(_files(app)) == []


def test_the_stored_dedupe_key_is_keyed_with_the_app_secret(
    app, client, session, make_venue, make_user
):
    venue = make_venue()
    _visits(session, venue)
    user = make_user(Role.MANAGER, venue.organisation)
    login(client, user)
    job_id = job_id_of(
        export(client, f"/orgs/{venue.organisation_id}/checkins.csv?q=0355246813")
    )
    stored = read_job(session, job_id).dedupe_key
    # Anyone can hash "the same export searched for 0355246813"; only the app can
    # make the stored key.
    plain = dedupe_key("checkins.export", user.id, "anything")
    assert stored.startswith(f"checkins.export:{user.id}:")
    assert len(stored.rsplit(":", 1)[1]) == 40 and stored != plain[: len(stored)]
    # The same request again is still the same job.
    again = export(client, f"/orgs/{venue.organisation_id}/checkins.csv?q=0355246813")
    assert job_id_of(again) == job_id


def test_an_ended_job_is_kept_until_its_time(app, session, make_user):
    from signage.jobs.services import JobRequest

    from ..helpers import new_job

    owner = make_user(Role.ADMIN)
    req = JobRequest(kind="x", owner_id=owner.id, params={}, title="t")
    recent = new_job(
        app, req, state=JobState.DONE, finished_at=utcnow() - timedelta(days=3)
    )
    running = new_job(app, req, state=JobState.RUNNING)
    assert housekeeping.purge_job_rows(app) == 0
    assert {j for j in session.scalars(select(Job.id))} == {recent, running}
