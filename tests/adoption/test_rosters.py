"""Civil servants' adoption: rosters, the app's account list, matching, exports,
audit, retention and the delete button."""

from __future__ import annotations

import csv
import io
import logging
import time
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, text, update
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from signage.accounts.models import OrgKind, Role
from signage.adoption import jobs
from signage.adoption.models import AppAccount, Roster, RosterEntry, UploadState
from signage.audit import AuditEvent
from signage.db import utcnow

from ..helpers import csrf_token, login

ROSTER = (
    "Họ và tên,Số điện thoại,Chức vụ\r\n"
    "Nguyễn Thị Hoa,0905 123 456,Chuyên viên\r\n"
    "Trần Văn Bình,0912345678,Phó phòng\r\n"
    "Lê Minh Châu,+84 93 555 0101,Văn thư\r\n"
)


def _csv(text_: str) -> io.BytesIO:
    return io.BytesIO(text_.encode("utf-8-sig"))


def _xlsx(rows: list[list[object]]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    buf.seek(0)
    return buf


def _upload(client, url: str, page: str, body: io.BytesIO, name: str):
    """POST the file like a browser. The multipart body is built in memory: the
    test client would spool a large one to a temporary file it never closes."""
    token = csrf_token(client, page)
    boundary, data = encode_multipart(
        {"csrf_token": token, "file": FileStorage(body, filename=name)}
    )
    return client.post(
        url, data=data, content_type=f"multipart/form-data; boundary={boundary}"
    )


def _job(client, resp) -> dict:
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    location = resp.headers["Location"]
    assert "/jobs/" in location
    return client.get(location, headers={"Accept": "application/json"}).get_json()


@pytest.fixture
def unit(make_org, make_user, client):
    org = make_org(name="Sở Tư pháp", kind=OrgKind.STATE_AGENCY)
    login(client, make_user(Role.MANAGER, org))
    return org


def _upload_roster(client, org, body, name="can-bo.csv"):
    page = f"/orgs/{org.id}/adoption/"
    return _job(client, _upload(client, f"{page}roster", page, body, name))


def _upload_app_list(app, make_user, body, name="tai-khoan.xlsx"):
    admin = app.test_client()
    login(admin, make_user(Role.ADMIN))
    return admin, _job(
        admin, _upload(admin, "/adoption/app-list", "/adoption/", body, name)
    )


def test_roster_matched_against_the_app_list(
    app, client, session, unit, make_user, caplog
):
    caplog.set_level(logging.DEBUG)
    assert _upload_roster(client, unit, _csv(ROSTER))["state"] == "done"
    page = client.get(f"/orgs/{unit.id}/adoption/").get_data(as_text=True)
    # No app list yet: nobody counts as having the app.
    assert "0 / 3 cán bộ" in page and "Sở chưa tải lên" in page

    # The city's export: numbers written every which way, one the province cannot
    # read (skipped), and Excel's number cell that lost the leading 0.
    admin, state = _upload_app_list(
        app,
        make_user,
        _xlsx(
            [
                ["STT", "Số điện thoại", "Ngày tạo"],
                [1, "+84905123456", "2021-08-01"],
                [2, 935550101, "2021-08-02"],
                [3, "0977 000 111", "2021-08-03"],
                [4, "không rõ", "2021-08-04"],
            ]
        ),
    )
    assert state["state"] == "done", state
    page = client.get(f"/orgs/{unit.id}/adoption/").get_data(as_text=True)
    assert "2 / 3 cán bộ" in page and "67%" in page
    without = page.split('id="without-app"')[1]
    assert "Trần Văn Bình" in without and "091•••5678" in without
    assert "Nguyễn Thị Hoa" not in without and "0912345678" not in without

    # Only keyed hashes of the app's numbers are kept: the number that is in no
    # roster is nowhere in the database.
    hashes = list(session.scalars(select(AppAccount.phone_hash)))
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes)
    conn = session.connection()
    for table in ("app_accounts", "app_account_lists", "jobs", "audit_events"):
        dump = " ".join(str(r) for r in conn.execute(text(f"SELECT * FROM {table}")))
        # Every way the number was written ("0977 000 111", 0977000111, +84...);
        # not a bare "0977", which random hex (a staged file's name) can contain.
        assert "977000111" not in dump and "0977 000 111" not in dump, table

    province = admin.get("/adoption/").get_data(as_text=True)
    assert "Sở Tư pháp" in province and "3 tài khoản" in province
    assert "1 dòng không đọc được số" in province
    rows = list(
        csv.reader(
            io.StringIO(admin.get("/adoption/units.csv").data.decode("utf-8-sig"))
        )
    )
    assert rows[0][:2] == ["ma_to_chuc", "to_chuc"]
    assert rows[1][1] == "Sở Tư pháp" and rows[1][4:8] == ["3", "2", "1", "66.7"]
    xlsx = admin.get("/adoption/units.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][1] == "Sở Tư pháp" and values[1][4:6] == (3, 2)

    full = client.get(f"/orgs/{unit.id}/adoption/without-app.csv")
    staff = list(csv.reader(io.StringIO(full.data.decode("utf-8-sig"))))
    assert staff[1][1:3] == ["Trần Văn Bình", "0912345678"]

    actions = [
        a for (a,) in session.execute(select(AuditEvent.action).order_by(AuditEvent.id))
    ]
    for action in (
        "roster.upload",
        "adoption.app_list_upload",
        "roster.view",
        "adoption.export",
        "roster.export",
    ):
        assert action in actions, action
    logged = caplog.text
    for secret in ("Trần Văn Bình", "0912345678", "+84912345678", "0977 000 111"):
        assert secret not in logged


def test_bad_phones_are_listed_per_row_and_nothing_is_imported(client, session, unit):
    assert _upload_roster(client, unit, _csv(ROSTER))["state"] == "done"
    bad = (
        "Họ tên;SĐT;Chức danh\r\n"
        "Phạm Văn Dũng;0905 123;Chuyên viên\r\n"
        "Hồ Thị Em;0912345678;Kế toán\r\n"
        ";0988777666;Bảo vệ\r\n"
        "Võ Văn Phú;0912 345 678;Lái xe\r\n"
    )
    state = _upload_roster(client, unit, _csv(bad))
    assert state["state"] == "failed"
    assert "chưa nhập dòng nào" in state["error"]
    page = client.get(f"/orgs/{unit.id}/adoption/").get_data(as_text=True)
    errors = page.split('id="rejected"')[1].split("</table>")[0]
    assert "Có 3 lỗi" in page
    assert "<td>2</td><td>Số điện thoại</td>" in errors
    assert "thiếu hoặc thừa chữ số" in errors
    assert "<td>4</td><td>Họ và tên</td>" in errors
    assert (
        "<td>5</td><td>Số điện thoại</td><td>Số điện thoại trùng với dòng 3." in errors
    )
    assert "0905 123" not in errors  # the cell's value is not echoed (nor stored)
    # The earlier roster is still the one counted; nothing of the bad file is kept.
    current = session.scalars(
        select(Roster).where(Roster.state == UploadState.CURRENT)
    ).one()
    assert current.entries == 3
    assert session.scalar(select(func.count(RosterEntry.id))) == 3
    assert "Nguyễn Thị Hoa" in page or "0 / 3" in page


@pytest.mark.parametrize(
    ("body", "name", "message"),
    [
        (b"", "trong.csv", "Tệp trống"),
        (b"Ten,Dia chi\r\nA,B\r\n", "sai-cot.csv", "Thiếu cột"),
        (b"PK\x03\x04not really a workbook", "hong.xlsx", "Không đọc được tệp Excel"),
    ],
)
def test_unreadable_files_get_a_clear_message(client, unit, body, name, message):
    page = f"/orgs/{unit.id}/adoption/"
    resp = _upload(client, f"{page}roster", page, io.BytesIO(body), name)
    if resp.status_code == 422:
        assert message in resp.get_data(as_text=True)
        return
    state = _job(client, resp)
    assert state["state"] == "failed"
    assert message in client.get(page).get_data(as_text=True)


def test_fifty_thousand_rows_import_as_a_job_or_not_at_all(client, session, unit):
    n = 50_000
    lines = ["Họ và tên,Số điện thoại,Chức vụ"]
    lines += [f"Cán bộ {i},09{i:08d},Chuyên viên" for i in range(n)]
    # One bad phone on the last row: the whole file is refused, nothing is stored.
    bad = [*lines[:-1], "Cán bộ cuối,09123,Chuyên viên"]
    t0 = time.perf_counter()
    state = _upload_roster(client, unit, _csv("\r\n".join(bad)))
    assert state["state"] == "failed"
    assert session.scalar(select(func.count(RosterEntry.id))) == 0
    page = client.get(f"/orgs/{unit.id}/adoption/").get_data(as_text=True)
    assert f"<td>{n + 1}</td><td>Số điện thoại</td>" in page
    state = _upload_roster(client, unit, _csv("\r\n".join(lines)))
    elapsed = time.perf_counter() - t0
    assert state["state"] == "done" and state["done"] == state["total"] == n
    assert session.scalar(select(func.count(RosterEntry.id))) == n
    page = client.get(f"/orgs/{unit.id}/adoption/").get_data(as_text=True)
    assert f"0 / {n} cán bộ" in page
    assert "… và 49800 người nữa" in page  # the page shows 200, the CSV all
    assert elapsed < 60, elapsed


def test_a_new_roster_replaces_the_old_one_entirely(client, session, unit):
    _upload_roster(client, unit, _csv(ROSTER))
    xlsx = _xlsx(
        [
            ["Họ và tên", "Số điện thoại", "Chức vụ"],
            ["Đặng Thu Giang", 912000111, "Trưởng phòng"],
        ]
    )
    assert _upload_roster(client, unit, xlsx, "moi.xlsx")["state"] == "done"
    names = list(session.scalars(select(RosterEntry.name)))
    assert names == ["Đặng Thu Giang"]
    assert session.scalar(select(func.count(Roster.id))) == 1


def test_a_unit_never_sees_another_units_roster(
    app, client, session, unit, make_org, make_user
):
    from signage.adoption import services

    _upload_roster(client, unit, _csv(ROSTER))
    other = make_org(name="Sở Y tế", kind=OrgKind.STATE_AGENCY)
    neighbour = app.test_client()
    login(neighbour, make_user(Role.MANAGER, other))
    for url in (
        f"/orgs/{unit.id}/adoption/",
        f"/orgs/{unit.id}/adoption/without-app.csv",
    ):
        assert neighbour.get(url).status_code == 404
    own = neighbour.get(f"/orgs/{other.id}/adoption/").get_data(as_text=True)
    assert "Trần Văn Bình" not in own and "Tải lên danh sách cán bộ" in own
    token = csrf_token(neighbour, f"/orgs/{other.id}/adoption/")
    resp = neighbour.post(
        f"/orgs/{unit.id}/adoption/delete", data={"csrf_token": token}
    )
    assert resp.status_code == 404
    assert session.scalar(select(func.count(RosterEntry.id))) == 3
    # Figures are keyed on organisation ids: a scope sees only its own units.
    assert services.adoption_by_unit(session, [other.id]) == []
    assert [
        f.organisation_id for f in services.adoption_by_unit(session, [unit.id])
    ] == [unit.id]


def test_retention_choice_and_delete_button(app, client, session, unit):
    _upload_roster(client, unit, _csv(ROSTER))
    page = f"/orgs/{unit.id}/adoption/"
    resp = client.post(
        f"{page}retention", data={"csrf_token": csrf_token(client, page), "days": "30"}
    )
    assert resp.status_code == 302
    roster = session.scalars(select(Roster)).one()
    assert roster.retention_days == 30
    assert roster.expires_at == roster.created_at + timedelta(days=30)
    bad = client.post(
        f"{page}retention", data={"csrf_token": csrf_token(client, page), "days": "7"}
    )
    assert bad.status_code == 422

    # Not yet due: the purge keeps it; past the unit's choice: deleted.
    assert jobs.purge(app) == 0
    session.execute(update(Roster).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    assert jobs.purge(app) == 3
    assert session.scalar(select(func.count(RosterEntry.id))) == 0
    assert session.scalar(select(func.count(Roster.id))) == 0

    _upload_roster(client, unit, _csv(ROSTER))
    resp = client.post(f"{page}delete", data={"csrf_token": csrf_token(client, page)})
    assert resp.status_code == 302
    # The rows go in batches by a job (run at once in tests), the uploads with them.
    assert session.scalar(select(func.count(RosterEntry.id))) == 0
    assert session.scalar(select(func.count(Roster.id))) == 0
    assert "Tải lên danh sách cán bộ" in client.get(page).get_data(as_text=True)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"roster.retention", "roster.purge", "roster.delete"} <= actions


def test_a_staged_upload_is_deleted_once_read(app, client, unit):
    from signage.storage import get_storage

    _upload_roster(client, unit, _csv(ROSTER))
    staging = get_storage(app).root / jobs.STAGING
    assert not staging.exists() or not any(staging.iterdir())


def test_roster_lines_are_encrypted_and_erased_on_a_data_subject_request(
    app, client, session, unit, make_user
):
    """Names and numbers of a roster are not in the database in clear; the
    province's data-subject request finds the resident's line by number and
    deletes it, and the unit's count follows."""
    assert _upload_roster(client, unit, _csv(ROSTER))["state"] == "done"
    conn = session.connection()
    dump = " ".join(str(r) for r in conn.execute(text("SELECT * FROM roster_entries")))
    assert "Bình" not in dump and "912345678" not in dump
    assert "Trần Văn Bình" in client.get(f"/orgs/{unit.id}/adoption/").get_data(
        as_text=True
    )

    admin = app.test_client()
    login(admin, make_user(Role.ADMIN))
    page = "/privacy/requests"
    resp = admin.post(
        page,
        data={
            "csrf_token": csrf_token(admin, page),
            "phone": "0912 345 678",
            "received_on": utcnow().date().isoformat(),
            "note": "Đơn của ông Bình",
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:400]
    request_url = resp.headers["Location"]
    found = admin.get(request_url).get_data(as_text=True)
    assert "dòng danh sách cán bộ: <strong>1</strong>" in found
    done = admin.post(
        f"{request_url}/erase", data={"csrf_token": csrf_token(admin, request_url)}
    )
    assert done.status_code == 303
    session.expire_all()
    names = set(session.scalars(select(RosterEntry.name)))
    assert names == {"Nguyễn Thị Hoa", "Lê Minh Châu"}
    assert session.scalar(select(Roster.entries)) == 2
