"""A job's page in a real browser: the bar moves and the download appears without a
reload; the cancel button stops a queued job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from signage.accounts.models import Role
from signage.db import get_db
from signage.jobs import runner, services

from ..helpers import PASSWORD, new_job


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "JOBS_IMMEDIATE": False,
        "JOBS_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        "STORAGE_DIR": str(tmp_path / "files"),
    }


@runner.task("test.browser")
def _browser_task(ctx: runner.JobContext) -> None:
    with ctx.output("ket-qua.txt", "text/plain") as out:
        out.write(b"xong")


def _login(page, live_server, user):
    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _job(app, user) -> str:
    return new_job(
        app,
        services.JobRequest(
            kind="test.browser", owner_id=user.id, params={}, title="Bảng QR thử"
        ),
    )


def test_the_bar_moves_and_the_download_appears_without_a_reload(
    live_server, page, session, make_user
):
    app = live_server.app
    user = make_user(Role.EDITOR)
    job_id = _job(live_server.app, user)
    _login(page, live_server, user)
    page.goto(f"{live_server.url}/jobs/{job_id}")
    page.evaluate("window.notReloaded = true")
    assert page.text_content("#job-state") == "Đang chờ"

    with get_db(app).write() as s:
        services.start(s, job_id)
        services.progress(s, job_id, 40, 100)
        s.commit()
    expect(page.locator("#job-count")).to_have_text("40 / 100")
    expect(page.locator("#job-bar")).to_have_js_property("value", 40)
    expect(page.locator("#job-state")).to_have_text("Đang chạy")

    with get_db(app).write() as s:
        services.progress(s, job_id, 70, None)
        s.commit()
    expect(page.locator("#job-bar")).to_have_js_property("value", 70)
    expect(page.locator("#job-eta")).to_contain_text("Còn khoảng")

    with get_db(app).write() as s:  # let the real runner finish it from the queue
        from signage.jobs.models import Job, JobState

        job = s.get(Job, job_id)
        job.state = JobState.QUEUED
        s.commit()
    assert runner.execute(app, job_id) == "done"
    page.wait_for_selector("#job-download:not([hidden])")
    assert page.is_hidden("#job-cancel")
    assert page.evaluate("window.notReloaded") is True
    with page.expect_download() as dl:
        page.click("#job-download-link")
    assert Path(dl.value.path()).read_bytes() == b"xong"


def test_cancel_stops_a_queued_job(live_server, page, session, make_user):
    user = make_user(Role.EDITOR)
    job_id = _job(live_server.app, user)
    _login(page, live_server, user)
    page.goto(f"{live_server.url}/jobs/{job_id}")
    page.click("text=Huỷ việc")
    page.wait_for_selector("text=Đã huỷ việc.")
    assert page.text_content("#job-state") == "Đã huỷ"
    assert runner.execute(live_server.app, job_id) == "skipped"


def test_the_batch_button_posts_and_lands_on_the_jobs_page(
    live_server, page, make_org, make_venue, make_user
):
    """The organisation page's "download every board" button is a form that POSTs
    (it creates a job) and answers with that job's page, in the chosen size."""
    org = make_org(name="Công ty CP Du lịch Hương Giang")
    make_venue(org, name="Nhà hàng Cố Đô")
    user = make_user(Role.MANAGER, org)
    _login(page, live_server, user)
    page.goto(f"{live_server.url}/orgs/{org.id}/")
    page.select_option("select[name=size]", "a3")
    page.click("text=Tải tất cả bảng QR (PDF)")
    page.wait_for_url("**/jobs/*")
    expect(page.locator("h1")).to_contain_text("A3")
