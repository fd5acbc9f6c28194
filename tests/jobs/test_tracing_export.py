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


def test_a_case_with_many_contacts_is_exported_by_a_job(
    app,
    client,
    session,
    make_user,
    outbreak,  # noqa: F811
):
    """More contact rows than EXPORT_JOB_ROWS (2 here, 3 at the café with a
    margin): the contacts CSV is a job for the officer who asked; the margin reaches
    the job (the one who left before the case came is in the file)."""
    officer = make_user(Role.HEALTH)
    login(client, officer)
    resp = _query(
        client,
        "/tracing/case",
        "case",
        phone="090 500 0111",
        start="2026-11-19",
        end="2026-11-21",
        margin="10",
        reason="Ca bệnh BN-2026-118, quyết định 45/QĐ",
        export="csv",
    )
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    job_url = resp.headers["Location"]
    result = job_result(client, resp)
    rows = list(csv.reader(io.StringIO(result.get_data().decode("utf-8-sig"))))
    result.close()
    assert rows[0] == [
        "ho_ten",
        "dien_thoai",
        "so_lan_trung",
        "tong_phut_trung",
        "lan_dau",
    ]
    assert {r[0] for r in rows[1:]} == {"Trùng giờ A", "Trùng giờ B", "Về trước"}
    assert "0905000222" in {r[1] for r in rows[1:]}
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "tracing.case_export" and event.user_id == officer.id
    assert event.reason == "Ca bệnh BN-2026-118, quyết định 45/QĐ"
    assert event.detail_dict["job"] is True

    colleague = app.test_client()
    login(colleague, make_user(Role.HEALTH))
    assert colleague.get(job_url).status_code == 404


def test_a_case_with_few_contacts_streams_from_the_request(
    client,
    session,
    make_user,
    outbreak,  # noqa: F811
):
    login(client, make_user(Role.HEALTH))
    resp = _query(
        client,
        "/tracing/case",
        "case",
        phone="090 500 0111",
        start="2026-11-19",
        end="2026-11-21",
        margin="0",
        reason="Ca bệnh BN-2026-118",
        export="csv",
    )
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {"Trùng giờ A", "Trùng giờ B"}
