"""The venue's log in the portal: masked list, reveal with reason, filters, exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
from sqlalchemy import select

from signage import audit
from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.checkin import services
from signage.checkin.models import CheckIn

from ..helpers import export, login


def _add(session, venue, name, phone, at=None, **kw):
    done = services.check_in(
        session,
        venue,
        services.Visitor(name, phone).check(),
        submission_id=services.new_submission_id(),
        secret="test",
        now=at,
    )
    session.commit()
    return session.scalars(
        select(CheckIn).where(CheckIn.public_ref == done.public_ref)
    ).one()


def _manager(make_user, client, org):
    user = make_user(Role.MANAGER, org)
    login(client, user)
    return user


def _audits(session, action):
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_venue_log_masks_phones_and_is_audited(client, session, make_venue, make_user):
    venue = make_venue()
    _add(session, venue, "Nguyễn Văn An", "0901234567")
    user = _manager(make_user, client, venue.organisation)
    resp = client.get(f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Nguyễn Văn An" in page and "090•••4567" in page
    assert "0901234567" not in page and "+84901234567" not in page
    (event,) = _audits(session, "checkins.view")
    assert event.user_id == user.id and event.target == f"venue:{venue.id}"


def test_reveal_requires_reason_and_is_audited(client, session, make_venue, make_user):
    venue = make_venue()
    row = _add(session, venue, "Trần Thị Bình", "0912345678")
    user = _manager(make_user, client, venue.organisation)
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    no_reason = client.post(
        url + "/reveal", data={"csrf_token": csrf, "checkin_id": row.id}
    )
    assert no_reason.status_code == 422
    assert "0912345678" not in no_reason.get_data(as_text=True)
    assert _audits(session, "checkins.reveal") == []
    ok = client.post(
        url + "/reveal",
        data={"csrf_token": csrf, "checkin_id": row.id, "reason": "Y tế yêu cầu F1"},
    )
    assert ok.status_code == 200 and "0912345678" in ok.get_data(as_text=True)
    (event,) = _audits(session, "checkins.reveal")
    assert event.user_id == user.id
    assert event.reason == "Y tế yêu cầu F1" and event.target == f"checkin:{row.id}"


def test_reveal_of_another_venues_checkin_is_404(
    client, session, make_org, make_venue, make_user
):
    org = make_org()
    mine, other = make_venue(org), make_venue()
    row = _add(session, other, "Lê Văn C", "0912345679")
    _manager(make_user, client, org)
    url = f"/orgs/{org.id}/venues/{mine.id}/checkins"
    page = client.get(url).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(
        url + "/reveal",
        data={"csrf_token": csrf, "checkin_id": row.id, "reason": "tò mò xem thử"},
    )
    assert resp.status_code == 404


def test_filters_by_date_name_and_phone(client, session, make_venue, make_user):
    venue = make_venue()
    old = datetime(2026, 1, 10, 3, 0, tzinfo=UTC)  # 10:00 local on 10/01
    _add(session, venue, "Nguyễn Thị Hoà", "0901111111", at=old)
    _add(session, venue, "Phạm Văn Đức", "0902222222", at=old + timedelta(days=2))
    _add(session, venue, "H'Hen Niê", "0903333333")
    _manager(make_user, client, venue.organisation)
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins"

    def names(query):
        page = client.get(url, query_string=query).get_data(as_text=True)
        return {
            n for n in ("Nguyễn Thị Hoà", "Phạm Văn Đức", "H&#39;Hen Niê") if n in page
        }

    assert names({"from": "2026-01-10", "to": "2026-01-10"}) == {"Nguyễn Thị Hoà"}
    assert names({"q": "nguyen thi hoa"}) == {"Nguyễn Thị Hoà"}  # accents optional
    assert names({"q": "DUC"}) == {"Phạm Văn Đức"}
    assert names({"q": "0902222222"}) == {"Phạm Văn Đức"}
    assert names({"q": "3333"}) == {"H&#39;Hen Niê"}
    assert names({"q": "%"}) == set()  # LIKE wildcards are literal
    assert names({"from": "garbage"}) == {
        "Nguyễn Thị Hoà",
        "Phạm Văn Đức",
        "H&#39;Hen Niê",
    }


def test_pagination_and_hourly_chart(client, session, make_venue, make_user):
    venue = make_venue()
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rows = [
        CheckIn(
            venue_id=venue.id,
            public_ref=f"ref{i:05d}",
            submission_id=f"sub{i:05d}",
            name=f"Khách {i:03d}",
            phone=f"+8490{i:07d}",
            phone_hash=f"h{i}",
            name_hash=f"n{i}",
            checked_in_at=base - timedelta(seconds=i),
            auto_out_at=base + timedelta(hours=1),
        )
        for i in range(120)
    ]
    session.add_all(rows)
    session.commit()
    _manager(make_user, client, venue.organisation)
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins"
    first = client.get(url).get_data(as_text=True)
    assert "Trang 1 / 3" in first and "Khách 000" in first and "Khách 050" not in first
    third = client.get(url, query_string={"page": 3}).get_data(as_text=True)
    assert "Khách 119" in third and "Khách 000" not in third
    assert "120 lượt" in first
    assert first.count("<rect") == 24


def test_feedback_listed_for_the_venue(client, session, make_venue, make_user):
    venue = make_venue()
    row = _add(session, venue, "Võ Thị E", "0904444444")
    services.add_feedback(session, row, "service", "Nhân viên <b>rất</b> nhiệt tình")
    session.commit()
    _manager(make_user, client, venue.organisation)
    page = client.get(f"/orgs/{venue.organisation_id}/checkins").get_data(as_text=True)
    assert "Nhân viên &lt;b&gt;rất&lt;/b&gt; nhiệt tình" in page
    assert "Phục vụ" in page


def test_csv_export_is_excel_safe_and_audited(client, session, make_venue, make_user):
    venue = make_venue(name="Quầy =lễ tân")
    _add(session, venue, '=HYPERLINK("http://x")', "0901234567")
    _add(session, venue, 'Bùi "Tí", Tèo', "+84 912 345 678")
    user = _manager(make_user, client, venue.organisation)
    resp = export(
        client, f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins.csv"
    )
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    for line in text.strip().split("\r\n"):
        assert line.startswith('"') and line.endswith('"')
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "Giờ vào" and len(rows) == 3
    by_phone = {r[5]: r for r in rows[1:]}
    assert by_phone["0901234567"][4] == '\'=HYPERLINK("http://x")'
    assert by_phone["0912345678"][4] == 'Bùi "Tí", Tèo'
    assert by_phone["0901234567"][3] == "Quầy =lễ tân"  # only leading '=' matters
    (event,) = _audits(session, "checkins.export.csv")
    assert event.user_id == user.id
    assert event.reason == "Báo cáo số lượt khách cho Sở"


def test_an_export_asks_for_a_reason_first(client, session, make_venue, make_user):
    venue = make_venue()
    _add(session, venue, "Võ Thị H", "0907777777")
    _manager(make_user, client, venue.organisation)
    url = f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins.csv?q=V"
    page = client.get(url)  # the log's link: a page asking why, no data
    assert page.status_code == 200 and page.mimetype == "text/html"
    body = page.get_data(as_text=True)
    assert "Cần nêu lý do" in body and "0907777777" not in body
    assert f'action="{url}"' in body.replace("&amp;", "&")
    short = export(client, url, reason="xem")
    assert short.status_code == 422 and short.mimetype == "text/html"
    assert not _audits(session, "checkins.export.csv")
    done = export(client, url, reason="Sở yêu cầu số liệu tuần")
    assert done.mimetype == "text/csv"
    (event,) = _audits(session, "checkins.export.csv")
    assert event.reason == "Sở yêu cầu số liệu tuần"
    # What was searched, as a keyed digest (it may be a name or a number).
    assert event.detail_dict["search"] == audit.search_digest(
        client.application.config["SECRET_KEY"], "V"
    )


def test_xlsx_export_has_text_cells_only(client, session, make_venue, make_user):
    venue = make_venue()
    _add(session, venue, "=A1+B2", "0901234567")
    _manager(make_user, client, venue.organisation)
    resp = export(client, f"/orgs/{venue.organisation_id}/checkins.xlsx")
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(resp.get_data()))
    ws = wb.active
    assert ws["E2"].value == "=A1+B2" and ws["E2"].data_type == "s"
    assert ws["F2"].value == "0901234567" and ws["F2"].data_type == "s"
    assert _audits(session, "checkins.export.xlsx")


def test_venue_page_shows_today_count_and_code(client, session, make_venue, make_user):
    venue = make_venue()
    _add(session, venue, "Đặng Văn G", "0905555555")
    _manager(make_user, client, venue.organisation)
    page = client.get(f"/orgs/{venue.organisation_id}/venues/{venue.id}").get_data(
        as_text=True
    )
    assert "Khai báo hôm nay" in page and "Mã xác nhận hôm nay" in page
    home = client.get(f"/orgs/{venue.organisation_id}/").get_data(as_text=True)
    assert f"/orgs/{venue.organisation_id}/checkins" in home


def test_confirmation_word_matches_portal(
    client, session, make_venue, make_user, check_in
):
    venue = make_venue()
    loc = check_in(client, venue).headers["Location"]
    confirm = client.get(loc).get_data(as_text=True)
    word = re.search(r"<b>([^<]+)</b>", confirm).group(1)
    staff = venue.organisation
    other = client.application.test_client()
    _manager(make_user, other, staff)
    page = other.get(f"/orgs/{staff.id}/venues/{venue.id}/checkins").get_data(
        as_text=True
    )
    assert f">{word}</span>" in page


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit(
    client, session, make_venue, make_user, monkeypatch
):
    from signage.checkin import exports

    monkeypatch.setattr(exports, "XLSX_SHEET_ROWS", 2)
    venue = make_venue()
    for i in range(5):
        _add(session, venue, f"Khách {i}", f"090123450{i}")
    _manager(make_user, client, venue.organisation)
    resp = export(client, f"/orgs/{venue.organisation_id}/checkins.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.get_data()))
    assert wb.sheetnames == ["Khai báo", "Khai báo (2)", "Khai báo (3)"]
    rows = [r for ws in wb for r in ws.iter_rows(min_row=2, values_only=True)]
    assert sorted(r[4] for r in rows) == [f"Khách {i}" for i in range(5)]
    assert all(ws["A1"].value == "Giờ vào" for ws in wb)


def test_venue_filter_cannot_reach_another_organisation(
    client, session, make_org, make_venue, make_user
):
    mine, theirs = make_venue(make_org()), make_venue(make_org())
    _add(session, mine, "Khách của tôi", "0901230001")
    _add(session, theirs, "Khách tổ chức khác", "0901230002")
    _manager(make_user, client, mine.organisation)
    url = f"/orgs/{mine.organisation_id}/checkins"
    page = client.get(url, query_string={"venue": theirs.id}).get_data(as_text=True)
    assert "Khách tổ chức khác" not in page and "Khách của tôi" in page
    csv_text = export(client, f"{url}.csv?venue={theirs.id}").get_data(as_text=True)
    assert "Khách tổ chức khác" not in csv_text and "Khách của tôi" in csv_text
