"""Exposure queries: overlap rules, audit of every query and export, access."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.checkin import people
from signage.checkin import services as checkins
from signage.checkin.models import CheckIn
from signage.tracing import services

from ..helpers import csrf_token, login

SECRET = "test-secret-key-of-sufficient-length-0123456789"  # the app's, see conftest
CASE = "+84905000111"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Huế


def _visit(session, venue, name, phone, at, out_after=None):
    checkins.check_in(
        session,
        venue,
        checkins.Visitor(name, phone),
        submission_id=checkins.new_submission_id(),
        secret=SECRET,
        now=at,
    )
    row = session.scalars(
        select(CheckIn).where(
            CheckIn.phone_hash == people.phone_hash(SECRET, phone),
            CheckIn.checked_in_at == at,
        )
    ).one()
    if out_after is not None:
        row.checked_out_at = at + out_after
    session.commit()
    return row


@pytest.fixture
def outbreak(session, make_org, make_venue):
    """The case spends 09:00-09:30 at a café (60-minute default stay)."""
    org = make_org(name="Quán cà phê Sông Hương")
    cafe = make_venue(org, name="Quán cà phê – tầng 1", stay_minutes=60)
    other = make_venue(org, name="Quầy bánh mì", stay_minutes=60)
    _visit(session, cafe, "Ca bệnh", CASE, T0, out_after=timedelta(minutes=30))
    _visit(session, cafe, "Trùng giờ A", "+84905000222", T0 + timedelta(minutes=10))
    # Arrived 08:15 without checking out: auto check-out at 09:15, overlaps 15 min.
    _visit(session, cafe, "Trùng giờ B", "+84905000333", T0 - timedelta(minutes=45))
    # Left at 08:55, before the case came: a contact only with a margin.
    _visit(
        session,
        cafe,
        "Về trước",
        "+84905000444",
        T0 - timedelta(minutes=30),
        out_after=timedelta(minutes=25),
    )
    _visit(session, cafe, "Đến sau", "+84905000555", T0 + timedelta(minutes=40))
    _visit(session, other, "Quán khác", "+84905000666", T0 + timedelta(minutes=5))
    return {"cafe": cafe, "other": other}


def test_overlap_rules(session, outbreak):
    digest = people.phone_hash(SECRET, CASE)
    start, end = T0 - timedelta(days=1), T0 + timedelta(days=1)
    result = services.case_exposures(session, digest, start, end)
    assert len(result.exposures) == 1
    names = {p.name: p for p in result.people}
    assert set(names) == {"Trùng giờ A", "Trùng giờ B"}
    assert names["Trùng giờ A"].overlap == timedelta(minutes=20)
    assert names["Trùng giờ B"].overlap == timedelta(minutes=15)

    wide = services.case_exposures(session, digest, start, end, margin_minutes=15)
    assert {p.name for p in wide.people} == {
        "Trùng giờ A",
        "Trùng giờ B",
        "Về trước",
        "Đến sau",
    }


def test_window_limits(session):
    with pytest.raises(services.Invalid):
        services.check_window(T0, T0)
    with pytest.raises(services.Invalid):
        services.check_window(T0, T0 + timedelta(days=40))
    with pytest.raises(services.Invalid):
        services.check_window(T0, T0 + timedelta(days=1), margin_minutes=999)


def _query(client, url, prefix, **data):
    token = csrf_token(client, "/tracing/")
    form = {f"{prefix}-csrf_token": token}
    form.update({f"{prefix}-{k}": v for k, v in data.items() if k != "export"})
    if "export" in data:
        form["export"] = data["export"]
    return client.post(url, data=form)


def test_case_query_lists_contacts_and_is_audited(client, session, make_user, outbreak):
    officer = make_user(Role.HEALTH)
    login(client, officer)
    resp = _query(
        client,
        "/tracing/case",
        "case",
        phone="090 500 0111",
        start="2026-11-19",
        end="2026-11-21",
        margin="0",
        reason="Ca bệnh BN-2026-118, quyết định 45/QĐ",
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)[:3000]
    assert resp.headers["Cache-Control"] == "no-store"
    body = resp.get_data(as_text=True)
    assert "Trùng giờ A" in body and "0905000222" in body
    assert "Đến sau" not in body and "Quán khác" not in body
    event = session.scalars(select(AuditEvent)).one()
    assert event.action == "tracing.case" and event.user_id == officer.id
    assert event.reason == "Ca bệnh BN-2026-118, quyết định 45/QĐ"
    assert event.detail_dict["contacts"] == 2
    assert CASE not in event.target and "0111" in event.target  # masked, not raw

    resp = _query(
        client,
        "/tracing/case",
        "case",
        phone="0905000111",
        start="2026-11-19",
        end="2026-11-21",
        margin="15",
        reason="Ca bệnh BN-2026-118",
        export="csv",
    )
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0][0] == "ho_ten" and len(rows) == 5
    assert {r[1] for r in rows[1:]} >= {"0905000222", "0905000444"}
    actions = [e.action for e in session.scalars(select(AuditEvent))]
    assert actions == ["tracing.case", "tracing.case_export"]

    history = client.get("/tracing/history").get_data(as_text=True)
    assert "BN-2026-118" in history


def test_venue_query_lists_everyone_present(client, session, make_user, outbreak):
    login(client, make_user(Role.HEALTH))
    resp = _query(
        client,
        "/tracing/venue",
        "venue",
        token=outbreak["cafe"].token.lower(),
        start="2026-11-20T09:00",
        end="2026-11-20T09:20",
        reason="Ổ dịch quán cà phê, công văn 12/SYT",
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    for name in ("Ca bệnh", "Trùng giờ A", "Trùng giờ B"):
        assert name in body
    assert "Về trước" not in body and "Quán khác" not in body
    assert session.scalars(select(AuditEvent)).one().action == "tracing.venue"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": ""}, "lý do"),
        ({"reason": "ngắn"}, "8 đến 500"),
        ({"phone": "12"}, "Số điện thoại"),
        ({"start": "2026-11-21", "end": "2026-11-01"}, "phải sau"),
        ({"start": "2026-01-01", "end": "2026-11-01"}, "31 ngày"),
        ({"margin": "9999"}, "240"),
        ({"start": "hôm qua"}, "Ngày không hợp lệ."),
    ],
)
def test_bad_queries_are_422_and_not_run(client, session, make_user, data, message):
    login(client, make_user(Role.HEALTH))
    form = {
        "phone": "0905000111",
        "start": "2026-11-19",
        "end": "2026-11-21",
        "margin": "0",
        "reason": "Ca bệnh BN-2026-118",
        **data,
    }
    resp = _query(client, "/tracing/case", "case", **form)
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert session.scalars(select(AuditEvent)).first() is None


def test_only_health_officers_query_and_admin_reviews(client, make_org, make_user):
    org = make_org()
    for role in (Role.MANAGER, Role.EDITOR, Role.ADMIN):
        c = client.application.test_client()
        login(c, make_user(role, org if role is Role.MANAGER else None))
        assert c.get("/tracing/").status_code == 404
        expected = 200 if role is Role.ADMIN else 404
        assert c.get("/tracing/history").status_code == expected
    assert client.get("/tracing/").status_code == 302
