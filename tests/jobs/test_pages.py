"""Jobs as a user sees them (tasks run at once: Huey's immediate mode)."""

from __future__ import annotations

import pypdfium2 as pdfium
from sqlalchemy import select

from signage.accounts.models import Role
from signage.jobs import services
from signage.jobs.models import Job, JobState

from ..helpers import csrf_token, login, new_job, start_org_batch
from .conftest import job_id_of, read_job


def test_board_batch_answers_with_a_job_page_then_the_pdf(client, manager_world):
    org, user = manager_world(3)
    login(client, user)
    resp = start_org_batch(client, org.id, "a4")
    job_id = job_id_of(resp)
    assert len(job_id) >= 20  # random, not a counter

    state = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
    assert state.headers["Content-Type"].startswith("application/json")
    data = state.get_json()
    assert set(data) == {"id", "state", "done", "total", "download", "error"}
    assert data["state"] == "done" and data["done"] == data["total"] == 3
    assert data["error"] is None

    pdf = client.get(data["download"])
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    body = pdf.data
    pdf.close()
    assert len(pdfium.PdfDocument(body)) == 3 + 1  # the instruction page last

    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in page and data["download"] in page
    mine = client.get("/jobs/").get_data(as_text=True)
    assert "Việc của tôi" in mine and "Công ty Du lịch Hương Giang" in mine


def test_only_the_owner_and_the_province_admin_see_a_job(
    app, client, manager_world, make_user, make_org
):
    org, user = manager_world(2)
    login(client, user)
    job_id = job_id_of(start_org_batch(client, org.id))
    file_url = f"/jobs/{job_id}/file"
    resp = client.get(file_url)
    assert resp.status_code == 200
    resp.close()

    for role, own_org in ((Role.MANAGER, make_org()), (Role.EDITOR, None)):
        other = app.test_client()
        login(other, make_user(role, own_org))
        for url in (f"/jobs/{job_id}", file_url):
            resp = other.get(url)
            resp.close()
            assert resp.status_code == 404, (role, url)
        json = other.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
        assert json.status_code == 404
        token = csrf_token(other, "/jobs/")
        resp = other.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token})
        assert resp.status_code == 404
        assert job_id not in other.get("/jobs/").get_data(as_text=True)

    admin = app.test_client()
    login(admin, make_user(Role.ADMIN))
    resp = admin.get(file_url)
    assert resp.status_code == 200
    resp.close()


def test_an_unknown_job_is_404_and_anonymous_goes_to_login(client, manager_world):
    _org, user = manager_world(1)
    assert "/login" in client.get("/jobs/nope").headers["Location"]
    login(client, user)
    assert client.get("/jobs/" + "A" * 22).status_code == 404


def test_a_failed_job_shows_its_vietnamese_message_and_no_download(
    client, session, manager_world
):
    org, user = manager_world(1)
    job_id = new_job(
        client.application,
        services.JobRequest(
            kind="no.such.kind", owner_id=user.id, params={}, title="Việc lạ"
        ),
    )
    from signage.jobs import runner

    assert runner.execute(client.application, job_id) == "failed"
    job = read_job(session, job_id)
    login(client, user)
    data = client.get(f"/jobs/{job.id}", headers={"Accept": "application/json"})
    data = data.get_json()
    assert data["state"] == "failed" and data["download"] is None
    assert data["error"] == "Loại việc này không còn được hỗ trợ."
    assert client.get(f"/jobs/{job.id}/file").status_code == 410
    client.set_cookie("lang", "en")
    data = client.get(f"/jobs/{job.id}", headers={"Accept": "application/json"})
    assert data.get_json()["error"] == "This kind of job is no longer supported."


def test_an_expired_file_is_deleted_and_no_longer_offered(
    app, client, session, manager_world
):
    from datetime import timedelta

    from signage.db import utcnow
    from signage.jobs import housekeeping
    from signage.storage import get_storage

    org, user = manager_world(1)
    login(client, user)
    job_id = job_id_of(start_org_batch(client, org.id))
    job = read_job(session, job_id)
    storage = get_storage(app)
    assert job.file_key and storage.exists(job.file_key)
    job.file_expires_at = utcnow() - timedelta(minutes=1)
    session.commit()

    assert housekeeping.purge_job_files(app) == 1
    assert not storage.exists(job.file_key)
    data = client.get(f"/jobs/{job_id}", headers={"Accept": "application/json"})
    assert data.get_json()["download"] is None
    assert client.get(f"/jobs/{job_id}/file").status_code == 410
    states = session.scalars(select(Job.state)).all()
    assert states == [JobState.DONE]
