"""The province's deployment report: figures, CSV, laggards, deadline, access."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from signage.accounts.models import OrgKind, Role
from signage.checkin import services as checkins
from signage.db import utcnow
from signage.posters.models import BoardDownload
from signage.reports.models import BoardPosting

from ..helpers import csrf_token, login

WARD_A, WARD_B = 19786, 19768


@pytest.fixture
def province(session, make_org, make_venue):
    """Two schools and a business in two wards, with boards and check-ins."""
    school = make_org(name="Trường THCS Nguyễn Tri Phương", kind=OrgKind.SCHOOL)
    business = make_org(name="Công ty Bia Huế", kind=OrgKind.BUSINESS, ward_code=WARD_B)
    idle = make_org(name='Nhà sách "Phương Nam"', kind=OrgKind.SCHOOL, ward_code=WARD_B)
    make_org(name="Tỉnh khác", province_code=1, ward_code=None)  # not counted
    v1 = make_venue(school, name="Cổng chính", ward_code=WARD_A)
    v2 = make_venue(school, name="Nhà đa năng", ward_code=WARD_A)
    v3 = make_venue(business, name="Sảnh nhà máy", ward_code=WARD_B)
    v4 = make_venue(idle, name="Quầy thu ngân", ward_code=WARD_B)
    # A bare QR (png/svg) is not a board: v4's organisation still has none.
    for venue, size in ((v1, "a4"), (v1, "a3"), (v3, "a4"), (v4, "png"), (v4, "svg")):
        session.add(
            BoardDownload(
                venue_id=venue.id, organisation_id=venue.organisation_id, size=size
            )
        )
    # Opening v2's board to look at it is not producing it for print.
    session.add(
        BoardDownload(
            venue_id=v2.id, organisation_id=v2.organisation_id, size="a4", preview=True
        )
    )
    # The school's manager confirmed v1's board is on the wall.
    session.add(BoardPosting(venue_id=v1.id, organisation_id=school.id))
    now = utcnow()
    for i, (venue, age) in enumerate(((v1, 1), (v1, 2), (v2, 10), (v3, 0))):
        checkins.check_in(
            session,
            venue,
            checkins.Visitor(f"Người {i}", f"+8490123456{i}"),
            submission_id=checkins.new_submission_id(),
            secret="x",
            now=now - timedelta(days=age, minutes=1),
        )
    session.commit()
    return {
        "school": school,
        "business": business,
        "idle": idle,
        "venues": (v1, v2, v3, v4),
    }


def test_figures_by_kind_ward_and_total(app, session, province):
    from signage.reports import services

    report = services.deployment(session, province_code=46, now=utcnow(), active_days=7)
    t = report.total
    assert (t.organisations, t.organisations_printed) == (3, 2)
    assert (t.venues, t.venues_active, t.venues_printed, t.venues_in_use) == (
        4,
        4,
        2,
        2,
    )
    assert (t.venues_posted, t.organisations_posted) == (1, 1)
    by_kind = {r.key: r for r in report.by_kind}
    assert by_kind[OrgKind.SCHOOL].venues == 3
    assert by_kind[OrgKind.SCHOOL].venues_printed == 1
    assert by_kind[OrgKind.SCHOOL].organisations_printed == 1
    assert by_kind[OrgKind.BUSINESS].venues_in_use == 1
    assert by_kind[OrgKind.POLICE].venues == 0
    by_ward = {r.key: r for r in report.by_ward}
    assert (by_ward[WARD_A].venues, by_ward[WARD_A].venues_in_use) == (2, 1)
    assert (by_ward[WARD_B].venues, by_ward[WARD_B].venues_printed) == (2, 1)
    assert by_ward[WARD_B].organisations == 2


def test_checkins_per_local_day(app, session, province):
    from zoneinfo import ZoneInfo

    from signage.reports import services

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    today = utcnow().astimezone(zone).date()
    days = services.checkins_per_day(
        session, days=14, today=today, zone=zone, province_code=46
    )
    assert len(days) == 14 and days[-1][0] == today
    assert sum(n for _d, n in days) == 4
    assert dict(days)[today - timedelta(days=10)] >= 1


def test_admin_reads_the_report_and_downloads_csv(client, make_user, province):
    login(client, make_user(Role.ADMIN))
    page = client.get("/reports/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Báo cáo triển khai" in body and "Phường Thuận Hóa" in body
    assert "Nhà sách &#34;Phương Nam&#34;" in body  # the one without a board
    assert "Trường THCS Nguyễn Tri Phương" not in body.split("chưa in bảng QR")[-1]

    resp = client.get("/reports/deployment.csv")
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][0] == "ma_phuong_xa"
    total = rows[-1]
    assert total[1] == "TỔNG" and total[2:8] == ["3", "2", "4", "4", "2", "2"]
    # Boards confirmed posted: organisations, venues.
    assert rows[0][8:] == ["to_chuc_da_dan_bang", "dia_diem_da_dan_bang"]
    assert total[8:] == ["1", "1"]

    resp = client.get("/reports/laggards.csv")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ['Nhà sách "Phương Nam"']


@pytest.mark.parametrize(
    ("config_overrides", "expect"),
    [
        (
            {"CAMPAIGN_DEADLINE": (utcnow() + timedelta(days=40)).date().isoformat()},
            "còn",
        ),
        ({"CAMPAIGN_DEADLINE": "2021-09-30"}, "đã quá"),
        ({"CAMPAIGN_DEADLINE": "not a date"}, "/admin/campaign"),
    ],
)
def test_deadline_is_shown(client, make_user, config_overrides, expect):
    login(client, make_user(Role.ADMIN))
    assert expect in client.get("/reports/").get_data(as_text=True)


def test_only_the_province_admin_sees_reports(client, make_org, make_user):
    org = make_org()
    for role in (Role.MANAGER, Role.EDITOR, Role.HEALTH):
        c = client.application.test_client()
        login(c, make_user(role, org if role is Role.MANAGER else None))
        assert c.get("/reports/").status_code == 404
        assert c.get("/reports/deployment.csv").status_code == 404
    assert client.get("/reports/").status_code == 302


def test_cli_prints_the_table(app, province):
    out = app.test_cli_runner().invoke(args=["reports", "deployment"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0].startswith("ward_code,ward,organisations")
    assert lines[-1] == ',"TOTAL",3,2,4,4,2,2'


def test_organisations_report_staff_adoption(
    client, session, make_org, make_user, make_venue
):
    from signage.reports import services

    school = make_org(name="Trường THPT Hai Bà Trưng", kind=OrgKind.SCHOOL)
    police = make_org(name="Công an phường Thuận Hóa", kind=OrgKind.POLICE)
    make_org(name="Trường chưa báo cáo", kind=OrgKind.SCHOOL)
    gate = make_venue(school, name="Cổng trường")
    make_venue(school, name="Phòng hội đồng")
    manager = make_user(Role.MANAGER, school)
    login(client, manager)
    url = f"/reports/orgs/{school.id}"
    token = csrf_token(client, url)
    form = {
        "csrf_token": token,
        "staff_total": "80",
        "staff_with_app": "60",
        "screens_running": "1",
        "note": "Đã dán ở cổng và phòng hội đồng",
    }
    assert client.post(url, data=form).status_code == 302
    # A later report replaces the earlier one in the totals.
    assert client.post(url, data={**form, "staff_with_app": "72"}).status_code == 302
    bad = client.post(url, data={**form, "staff_with_app": "81"})
    assert bad.status_code == 422
    assert "không thể lớn hơn" in bad.get_data(as_text=True)
    assert client.post(url, data={**form, "staff_total": "-1"}).status_code == 422
    assert "72" in client.get(url).get_data(as_text=True)
    # The report carries what the system knew: 2 venues, no board produced yet.
    latest = services.org_reports(session, school.id, limit=1)[0]
    assert (latest.venues, latest.boards_produced, latest.boards_posted) == (2, 0, 0)

    # Boards posted are counted from the confirmations, not typed in.
    resp = client.post(
        f"/reports/orgs/{school.id}/venues/{gate.id}/posted",
        data={"csrf_token": token},
    )
    assert resp.status_code == 302
    services.submit_report(session, police.id, services.ReportData(40, 10, 0), None)
    session.commit()
    rows, total = services.adoption(session, province_code=46)
    by_kind = {r.key: r for r in rows}
    assert (
        by_kind[OrgKind.SCHOOL].organisations,
        by_kind[OrgKind.SCHOOL].reported,
    ) == (2, 1)
    assert by_kind[OrgKind.SCHOOL].staff_with_app == 72
    assert by_kind[OrgKind.SCHOOL].boards_posted == 1
    assert (total.staff_total, total.staff_with_app, total.reported) == (120, 82, 2)

    other = client.application.test_client()
    login(other, make_user(Role.MANAGER, police))
    assert other.get(url).status_code == 404

    admin = client.application.test_client()
    login(admin, make_user(Role.ADMIN))
    page = admin.get("/reports/").get_data(as_text=True)
    assert "82 / 120" in page
    rows = list(
        csv.reader(
            io.StringIO(admin.get("/reports/adoption.csv").data.decode("utf-8-sig"))
        )
    )
    assert rows[-1] == ["TỔNG", "3", "2", "120", "82", "1", "1"]
