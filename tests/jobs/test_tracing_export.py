"""A large "who was at this venue" export runs as a job, audited in the request."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import select

from signage.accounts.models import Role
from signage.audit import AuditEvent

from ..helpers import job_result, login
from ..tracing.test_tracing import _query, outbreak  # noqa: F401  (fixture)


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"EXPORT_JOB_ROWS": 2}


def test_a_large_presence_export_is_a_job_for_its_officer_only(
    app,
    client,
    session,
    make_user,
    outbreak,  # noqa: F811
):
    officer = make_user(Role.HEALTH)
    login(client, officer)
    resp = _query(
        client,
        "/tracing/venue",
        "venue",
        token=outbreak["cafe"].token,
        start="2026-11-20T09:00",
        end="2026-11-20T09:20",
        reason="Ổ dịch quán cà phê, công văn 12/SYT",
        export="csv",
    )
    job_url = resp.headers["Location"]
    result = job_result(client, resp)
    rows = list(csv.reader(io.StringIO(result.get_data().decode("utf-8-sig"))))
    result.close()
    assert rows[0] == ["ho_ten", "dien_thoai", "vao", "ra"]
    assert {r[0] for r in rows[1:]} == {"Ca bệnh", "Trùng giờ A", "Trùng giờ B"}
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "tracing.venue_export" and event.user_id == officer.id

    colleague = app.test_client()
    login(colleague, make_user(Role.HEALTH))
    assert colleague.get(job_url).status_code == 404
