"""Exposure queries: overlapping visits at one venue, audited, health and admin only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.checkin import services

from ..helpers import login

SECRET = "test-secret-key-of-sufficient-length-0123456789"  # tests/conftest.py


def _visit(session, venue, name, phone, at, out=None):
    done = services.check_in(
        session,
        venue,
        services.Visitor(name, phone).check(),
        submission_id=services.new_submission_id(),
        secret=SECRET,
        now=at,
    )
    if out is not None:
        from signage.checkin.models import CheckIn

        row = session.scalars(
            select(CheckIn).where(CheckIn.public_ref == done.public_ref)
        ).one()
        row.checked_out_at = out
    session.commit()


def _query(client, **data):
    page = client.get("/tracing").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/tracing", data={"csrf_token": csrf, **data})


def test_overlapping_visitors_found_and_query_audited(
    client, session, make_venue, make_user
):
    cafe = make_venue(name="Quán cà phê", stay_minutes=60)
    shop = make_venue(name="Cửa hàng", stay_minutes=30)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    _visit(session, cafe, "Ca bệnh", "0901111111", t0, out=t0 + timedelta(minutes=45))
    _visit(session, cafe, "Cùng lúc", "0902222222", t0 + timedelta(minutes=30))
    _visit(session, cafe, "Đến sau", "0903333333", t0 + timedelta(minutes=50))
    _visit(session, cafe, "Về trước", "0904444444", t0 - timedelta(minutes=70))
    _visit(session, shop, "Nơi khác", "0905555555", t0 + timedelta(minutes=10))
    officer = make_user(Role.HEALTH)
    login(client, officer)
    resp = _query(
        client,
        phone="+84 90 111 1111",
        reason="Ca F0 ngày 28/11",
        date_from="",
        date_to="",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Quán cà phê" in page and "Cùng lúc" in page and "0902222222" in page
    for absent in ("Đến sau", "Về trước", "Nơi khác"):
        assert absent not in page
    assert ">15<" in page  # 30..45 min overlap
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "tracing.query")
    ).all()
    assert event.user_id == officer.id and event.reason == "Ca F0 ngày 28/11"
    assert event.target == "phone:090•••1111" and event.detail_dict["contacts"] == 1


def test_tracing_requires_reason_and_valid_phone(client, make_user):
    login(client, make_user(Role.HEALTH))
    assert _query(client, phone="0901111111", reason="").status_code == 422
    resp = _query(client, phone="12", reason="lý do đủ dài")
    assert resp.status_code == 422 and "Số điện thoại" in resp.get_data(as_text=True)


def test_managers_cannot_trace(client, make_org, make_user):
    login(client, make_user(Role.MANAGER, make_org()))
    assert client.get("/tracing").status_code == 404
