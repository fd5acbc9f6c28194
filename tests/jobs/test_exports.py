"""Check-in log exports above EXPORT_JOB_ROWS run as jobs; below it they stream."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest

from signage.accounts.models import Role
from signage.checkin import services as checkins
from signage.jobs.models import Job

from ..helpers import export, job_result, login
from .conftest import job_id_of


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"EXPORT_JOB_ROWS": 2}


def _visits(session, venue, n: int) -> None:
    for i in range(n):
        checkins.check_in(
            session,
            venue,
            checkins.Visitor(f"Khách số {i}", f"090123456{i}").check(),
            submission_id=checkins.new_submission_id(),
            secret="test",
        )
    session.commit()


def test_a_small_export_still_streams_at_once(client, session, make_venue, make_user):
    venue = make_venue()
    _visits(session, venue, 2)
    login(client, make_user(Role.MANAGER, venue.organisation))
    resp = export(client, f"/orgs/{venue.organisation_id}/checkins.csv")
    assert resp.status_code == 200 and resp.is_streamed
    assert session.query(Job).count() == 0


def test_a_large_csv_export_is_a_job_with_every_row(
    client, session, make_venue, make_user
):
    venue = make_venue(name="Quầy lễ tân")
    _visits(session, venue, 3)
    login(client, make_user(Role.MANAGER, venue.organisation))
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins.csv"
    resp = job_result(client, export(client, url))
    assert resp.status_code == 200
    text = resp.get_data().decode("utf-8-sig")
    resp.close()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Giờ vào" and len(rows) == 4
    assert sorted(r[5] for r in rows[1:]) == ["0901234560", "0901234561", "0901234562"]
    job = session.query(Job).one()
    assert job.total == 3 and job.done == 3 and job.file_name.endswith(".csv")


def test_a_large_xlsx_export_is_a_job_with_text_cells(
    client, session, make_venue, make_user
):
    venue = make_venue()
    _visits(session, venue, 3)
    login(client, make_user(Role.MANAGER, venue.organisation))
    first = export(client, f"/orgs/{venue.organisation_id}/checkins.xlsx")
    resp = job_result(client, first)
    wb = openpyxl.load_workbook(io.BytesIO(resp.get_data()))
    resp.close()
    ws = wb.active
    assert ws.max_row == 4 and ws["F2"].data_type == "s"
    # The province admin may open it too.
    other = client.application.test_client()
    login(other, make_user(Role.ADMIN))
    assert other.get(first.headers["Location"]).status_code == 200  # the province admin
    assert job_id_of(first)
