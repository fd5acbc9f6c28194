"""Helpers for tests that act like a browser (CSRF tokens, logging in)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from signage.accounts.models import User

# The data key of every test app and of the servers tests start on the same database
# (signage/crypto.py); tests/test_crypto.py covers the generated development key.
DATA_KEY = "ATQiCCxIvvxi0Yf_H09kKAQABSTb-n7Smv4eM2mVUz4="
PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, f"no csrf token on {url}"
    return match.group(1)


def login(client: FlaskClient, user: User, password: str = PASSWORD) -> None:
    token = csrf_token(client, "/login")
    resp = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def post_form(
    client: FlaskClient, url: str, data: dict[str, Any], form_url: str | None = None
) -> Any:
    """POST like a browser: fetch the page first and send its CSRF token."""
    token = csrf_token(client, form_url or url)
    return client.post(url, data={**data, "csrf_token": token})


def start_org_batch(client: FlaskClient, org_id: int, size: str = "a4") -> Any:
    """Press "Tải tất cả bảng QR" on the organisation's page: a POST that answers
    with a redirect to the batch's job."""
    return post_form(
        client, f"/orgs/{org_id}/boards.pdf", {"size": size}, f"/orgs/{org_id}/"
    )


def job_result(client: FlaskClient, resp: Any) -> Any:
    """Follow a view that answered with a job: the redirect to the job's page, the
    job's JSON (it must be done: tests run jobs at once), then the file download."""
    assert resp.status_code == 302, resp.status_code
    location = resp.headers["Location"]
    assert "/jobs/" in location, location
    state = client.get(location, headers={"Accept": "application/json"}).get_json()
    assert state["state"] == "done", state
    assert state["download"], state
    return client.get(state["download"])


def new_job(app: Any, req: Any, **fields: Any) -> str:
    """Make a job as a view would, in a transaction of its own (the tests' autocommit
    Session cannot hold the savepoint the deduplication uses), with ``fields`` set."""
    from signage.db import get_db
    from signage.jobs import services

    with get_db(app).write() as s:
        job, _ = services.create_job(s, req)
        for name, value in fields.items():
            setattr(job, name, value)
        s.commit()
        return str(job.id)


EXPORT_REASON = "Báo cáo số lượt khách cho Sở"


def export(client: FlaskClient, url: str, reason: str = EXPORT_REASON) -> Any:
    """Download a check-in export as a manager does: the page asks why, then the
    form is sent with the reason."""
    token = csrf_token(client, url)
    return client.post(url, data={"csrf_token": token, "reason": reason})
