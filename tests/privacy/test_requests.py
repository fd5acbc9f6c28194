"""The province admin handles a data-subject request by phone number: a queue with
the legal due date (overdue first), find, then erase check-ins, feedback, cards and
other areas' entries (through the signal), every step audited without the number."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.cards.models import PersonalCard
from signage.checkin.models import CheckIn, Feedback
from signage.privacy.models import ErasureRequest, RequestState
from signage.privacy.signals import subject_erase, subject_find

from ..helpers import csrf_token, login

SUBJECT = "0987 222 333"
E164 = "+84987222333"


def _today():
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture
def admin(client, make_user):
    login(client, make_user(Role.ADMIN))
    return client


def _new_request(client, phone=SUBJECT, received=None, note="Đơn giấy số 12/UBND"):
    received = received or _today()
    resp = client.post(
        "/privacy/requests",
        data={
            "csrf_token": csrf_token(client, "/privacy/requests"),
            "phone": phone,
            "received_on": received.isoformat(),
            "note": note,
        },
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:400]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_queue_shows_the_legal_due_date_and_overdue_requests_first(admin, session):
    today = _today()
    fresh = _new_request(admin, "0987 000 001", today)
    late = _new_request(admin, "0987 000 002", today - timedelta(days=25))
    soon = _new_request(admin, "0987 000 003", today - timedelta(days=15))
    req = session.get(ErasureRequest, late)
    assert req.due_on == req.received_on + timedelta(days=20)
    assert req.phone == "+84987000002" and req.phone_masked == "098•••0002"

    page = admin.get("/privacy/requests").get_data(as_text=True)
    order = [int(n) for n in re.findall(r'/privacy/requests/(\d+)"', page)]
    assert order == [late, soon, fresh]
    assert "Quá hạn 5 ngày" in page
    assert "còn 5 ngày" in page and "còn 20 ngày" in page
    assert "0987000002" not in page and "098•••0002" in page


def test_a_request_in_the_future_or_a_bad_number_is_refused(admin, session):
    tomorrow = _today() + timedelta(days=1)
    resp = admin.post(
        "/privacy/requests",
        data={
            "csrf_token": csrf_token(admin, "/privacy/requests"),
            "phone": SUBJECT,
            "received_on": tomorrow.isoformat(),
        },
    )
    assert resp.status_code == 422
    assert "tương lai" in resp.get_data(as_text=True)
    resp = admin.post(
        "/privacy/requests",
        data={
            "csrf_token": csrf_token(admin, "/privacy/requests"),
            "phone": "12",
            "received_on": _today().isoformat(),
        },
    )
    assert resp.status_code == 422
    assert session.scalar(select(func.count(ErasureRequest.id))) == 0


def test_find_then_erase_everything_of_the_number(
    app, admin, session, make_venue, check_in
):
    venue_a = make_venue(name="Chợ Đông Ba")
    venue_b = make_venue(name="Bệnh viện Trung ương Huế")
    resident = app.test_client()
    ok = check_in(resident, venue_a, name="Lê Văn Sentinelsubject", phone=SUBJECT)
    ok = ok.headers["Location"]
    resident.post(
        f"{ok}/feedback",
        data={
            "csrf_token": csrf_token(resident, ok),
            "category": "other",
            "message": "Góp ý của người yêu cầu",
        },
    )
    check_in(app.test_client(), venue_b, name="Lê Văn Sentinelsubject", phone=SUBJECT)
    check_in(app.test_client(), venue_a, name="Người Khác", phone="0987 999 999")
    holder = app.test_client()
    holder.post(
        "/the",
        data={
            "csrf_token": csrf_token(holder, "/the"),
            "name": "Lê Văn Sentinelsubject",
            "phone": SUBJECT,
            "consent": "y",
        },
    )

    # Another area (rosters) takes part through the signal.
    calls: list[tuple[str, str]] = []

    def roster_find(sender, *, phone, secret):
        calls.append(("find", phone))
        return ("Danh sách nhân viên", 1)

    def roster_erase(sender, *, phone, secret):
        calls.append(("erase", phone))
        return ("Danh sách nhân viên", 1)

    subject_find.connect(roster_find)
    subject_erase.connect(roster_erase)
    try:
        req_id = _new_request(admin)
        page = admin.get(f"/privacy/requests/{req_id}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "Chợ Đông Ba" in text and "Bệnh viện Trung ương Huế" in text
        assert "Sentinelsubject" not in text  # where and when, not the name
        found = dict(re.findall(r"<li>([^<:]+): <strong>(\d+)</strong></li>", text))
        assert found == {
            "Lượt khai báo": "2",
            "Phản hồi": "1",
            "Thẻ QR cá nhân": "1",
            "Danh sách nhân viên": "1",
        }
        assert session.scalar(select(func.count(CheckIn.id))) == 3  # nothing yet

        done = admin.post(
            f"/privacy/requests/{req_id}/erase",
            data={"csrf_token": csrf_token(admin, "/privacy/requests")},
        )
        assert done.status_code == 303
    finally:
        subject_find.disconnect(roster_find)
        subject_erase.disconnect(roster_erase)
    assert ("erase", E164) in calls

    names = session.scalars(select(CheckIn.name)).all()
    assert names == ["Người Khác"]
    assert session.scalar(select(func.count(Feedback.id))) == 0
    assert session.scalar(select(func.count(PersonalCard.id))) == 0
    req = session.get(ErasureRequest, req_id)
    assert req.state is RequestState.ERASED and req.phone is None
    assert json.loads(req.outcome) == {
        "checkins": 2,
        "feedback": 1,
        "cards": 1,
        "Danh sách nhân viên": 1,
    }
    shown = admin.get(f"/privacy/requests/{req_id}").get_data(as_text=True)
    assert "Đã xoá" in shown and "Chợ Đông Ba" not in shown

    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.like("privacy.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "privacy.request.create",
        "privacy.request.find",
        "privacy.request.erase",
    ]
    assert all(e.target == f"erasure_request:{req_id}" for e in events)
    assert events[2].detail_dict["checkins"] == 2
    for e in events:
        assert "987222333" not in f"{e.detail} {e.reason}"

    # Closed: it cannot be erased again, and its page finds nothing any more.
    again = admin.post(
        f"/privacy/requests/{req_id}/erase",
        data={"csrf_token": csrf_token(admin, f"/privacy/requests/{req_id}")},
        follow_redirects=True,
    )
    assert "đã đóng" in again.get_data(as_text=True)


def test_refusing_needs_a_reason_and_closes_the_request(admin, session):
    req_id = _new_request(admin)
    url = f"/privacy/requests/{req_id}"
    short = admin.post(
        f"{url}/refuse",
        data={"csrf_token": csrf_token(admin, url), "reason": "x"},
        follow_redirects=True,
    )
    assert "Hãy ghi lý do" in short.get_data(as_text=True)
    assert session.get(ErasureRequest, req_id).state is RequestState.OPEN
    admin.post(
        f"{url}/refuse",
        data={
            "csrf_token": csrf_token(admin, url),
            "reason": "Người gửi không phải chủ số điện thoại",
        },
    )
    req = session.get(ErasureRequest, req_id)
    assert req.state is RequestState.REFUSED and req.phone is None
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.request.refuse")
    ).all()
    assert event.reason == "Người gửi không phải chủ số điện thoại"


def test_only_the_province_admin_has_the_queue(client, make_user, make_org):
    login(client, make_user(Role.MANAGER, make_org()))
    assert client.get("/privacy/requests").status_code == 404
