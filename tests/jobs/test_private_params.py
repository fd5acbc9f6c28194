"""Job parameters that may name someone (a log export's search text, an imported
CSV's contacts) are encrypted at rest, kept only while the job may still run, never
shown on its pages or logs, and the job's row and file go on the retention
schedule."""

from __future__ import annotations

import csv
import io
import json
import logging
import sqlite3
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select, text

from signage import create_app
from signage.accounts.models import Role
from signage.checkin import services as checkins
from signage.core.cli import alembic_config, upgrade
from signage.db import get_db, utcnow
from signage.jobs import housekeeping, runner
from signage.jobs.models import Job, JobState
from signage.jobs.services import dedupe_key

from ..conftest import PG_URL, base_config
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


@pytest.mark.skipif(bool(PG_URL), reason="migrates a database file of its own")
def test_migration_moves_stored_search_texts_out_of_the_plain_params(tmp_path):
    path = tmp_path / "old.db"
    app = create_app(base_config(tmp_path, f"sqlite:///{path}"))
    upgrade(app)
    command.downgrade(alembic_config(app), "0700_jobs")
    engine = get_db(app).engine
    with engine.begin() as conn:  # as the previous version stored them
        for job_id, state in (("a" * 32, "queued"), ("b" * 32, "done")):
            conn.execute(
                text(
                    "INSERT INTO jobs (id, kind, params, title, state, done, total, "
                    "attempts, created_at) VALUES (:id, 'checkins.export', :p, 't', "
                    ":s, 0, 0, 0, '2026-11-30 01:00:00')"
                ),
                {
                    "id": job_id,
                    "s": state,
                    "p": json.dumps({"org_id": 1, "search": SEARCH}),
                },
            )
    upgrade(app)
    with get_db(app).read() as s:
        queued, done = s.scalars(select(Job).order_by(Job.id)).all()
        assert queued.params == {"org_id": 1} and done.params == {"org_id": 1}
        assert json.loads(queued.private or "") == {"search": SEARCH}
        assert done.private is None
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert SEARCH.encode() not in path.read_bytes()
    command.downgrade(alembic_config(app), "0700_jobs")
    with engine.connect() as conn:
        params = conn.execute(text("SELECT params FROM jobs ORDER BY id")).scalars()
        assert [json.loads(p) for p in params] == [
            {"org_id": 1, "search": SEARCH},
            {"org_id": 1},
        ]
    engine.dispose()


def test_keys_rotate_re_encrypts_queued_jobs_private_params(
    app, session, db_url, tmp_path, make_user
):
    from signage import crypto
    from signage.jobs.services import JobRequest

    from ..helpers import new_job

    owner = make_user(Role.ADMIN)
    req = JobRequest(
        kind="checkins.export",
        owner_id=owner.id,
        params={"org_id": 1},
        title="t",
        private={"search": SEARCH},
    )
    job_id = new_job(app, req)
    old, new = app.config["DATA_KEY"], crypto.new_key()
    rotating = create_app({**base_config(tmp_path, db_url), "DATA_KEY": f"{new},{old}"})
    result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    get_db(rotating).engine.dispose()
    assert result.exit_code == 0, result.output
    assert "jobs: 1 rows read, 1 values re-encrypted" in result.output
    only_new = create_app({**base_config(tmp_path, db_url), "DATA_KEY": new})
    with get_db(only_new).read() as s:
        job = s.get(Job, job_id)
        assert json.loads(job.private or "") == {"search": SEARCH}
    get_db(only_new).engine.dispose()
