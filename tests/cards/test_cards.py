"""Personal QR cards: made by the resident, scanned by staff, deleted on request."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.cards import services
from signage.cards.models import PersonalCard
from signage.checkin.models import CheckIn
from signage.db import utcnow

from ..helpers import csrf_token, login


def _make_card(client, name="Y Moan Ênuôl", phone="+84 90 123 4567"):
    token = csrf_token(client, "/the")
    return client.post(
        "/the", data={"csrf_token": token, "name": name, "phone": phone, "consent": "y"}
    )


def test_resident_makes_a_card_whose_qr_names_only_a_code(client, session):
    resp = _make_card(client)
    assert resp.status_code == 303
    card = session.scalars(select(PersonalCard)).one()
    assert resp.headers["Location"] == f"/the/{card.code}"
    assert card.name == "Y Moan Ênuôl" and card.phone == "+84901234567"

    page = client.get(resp.headers["Location"])
    assert page.headers["Cache-Control"] == "no-store"
    body = page.get_data(as_text=True)
    assert "Y Moan Ênuôl" in body and "090•••4567" in body and "0901234567" not in body

    png = client.get(f"/the/{card.code}/qr.png")
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert [d.text for d in decoded] == [f"HTTPS://QR.EXAMPLE.VN/P/{card.code}"]

    # What an ordinary camera opens: nothing about the holder.
    seen = client.get(f"/P/{card.code}").get_data(as_text=True)
    assert "Ênuôl" not in seen and "4567" not in seen
    other = client.get("/P/0000000000000000").get_data(as_text=True)
    assert other.replace("0000000000000000", card.code) == seen


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "phone": "0901234567", "consent": "y"}, "tên"),
        ({"name": "An\u200bBình", "phone": "0901234567", "consent": "y"}, "ký tự ẩn"),
        ({"name": "An Bình", "phone": "12345", "consent": "y"}, "Số điện thoại"),
        ({"name": "An Bình", "phone": "0901234567"}, "đồng ý"),
    ],
)
def test_bad_card_requests_keep_input_and_store_nothing(client, session, data, message):
    token = csrf_token(client, "/the")
    resp = client.post("/the", data={"csrf_token": token, **data})
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert message.lower() in body.lower()
    assert session.scalar(select(func.count()).select_from(PersonalCard)) == 0


def test_codes_scanned_or_typed_are_read(client):
    code = services.new_code()
    for scanned in (
        f"HTTPS://QR.EXAMPLE.VN/P/{code}",
        f"https://qr.example.vn/P/{code.lower()}",
        f"{code[:4]} {code[4:8]}-{code[8:]}",
        f"  {code}\r\n",
    ):
        assert services.normalise(scanned) == code, scanned
    for junk in ("", "P/", "x" * 500, code[:-1], "<script>", f"/C/{code[:10]}"):
        assert services.normalise(junk) is None, junk


def test_staff_scan_checks_the_holder_in_once(
    client, session, make_org, make_venue, make_user
):
    resp = _make_card(client.application.test_client(), name="Êčăm")
    code = resp.headers["Location"].rsplit("/", 1)[1]
    org = make_org()
    venue = make_venue(org, name="Cổng trường")
    login(client, make_user(Role.MANAGER, org))
    url = f"/orgs/{org.id}/venues/{venue.id}/scan"
    assert "Quét thẻ QR cá nhân" in client.get(url).get_data(as_text=True)
    token = csrf_token(client, url)
    first = client.post(
        url, data={"csrf_token": token, "code": f"HTTPS://QR.EXAMPLE.VN/P/{code}"}
    )
    assert first.status_code == 200
    body = first.get_data(as_text=True)
    assert "Êčăm" in body and "đã ghi nhận lượt vào" in body
    again = client.post(url, data={"csrf_token": token, "code": code})
    assert "đã ghi nhận trước đó" in again.get_data(as_text=True)
    rows = session.scalars(select(CheckIn)).all()
    assert len(rows) == 1 and rows[0].name == "Êčăm" and rows[0].venue_id == venue.id

    bad = client.post(url, data={"csrf_token": token, "code": "rác"})
    assert bad.status_code == 422 and "Không đọc được mã thẻ" in bad.get_data(
        as_text=True
    )


def test_deleted_card_stops_working_everywhere(
    client, session, make_org, make_venue, make_user
):
    resident = client.application.test_client()
    code = _make_card(resident).headers["Location"].rsplit("/", 1)[1]
    token = csrf_token(resident, f"/the/{code}")
    resp = resident.post(f"/the/{code}/delete", data={"csrf_token": token})
    assert "Đã xoá thẻ" in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(PersonalCard)) == 0
    assert resident.get(f"/the/{code}").status_code == 404

    org = make_org()
    venue = make_venue(org)
    login(client, make_user(Role.MANAGER, org))
    url = f"/orgs/{org.id}/venues/{venue.id}/scan"
    resp = client.post(url, data={"csrf_token": csrf_token(client, url), "code": code})
    assert resp.status_code == 422 and "đã bị xoá" in resp.get_data(as_text=True)


def test_unused_cards_are_purged(app, session):
    from signage.checkin.services import Visitor

    old = services.create_card(session, Visitor("Người cũ", "+84901111111"), secret="s")
    old.last_used_at = utcnow() - timedelta(days=91)
    services.create_card(session, Visitor("Người mới", "+84902222222"), secret="s")
    session.commit()
    out = app.test_cli_runner().invoke(args=["cards", "purge"])
    assert out.exit_code == 0 and "purged 1" in out.output
    names = session.scalars(select(PersonalCard.name)).all()
    assert names == ["Người mới"]


def test_only_the_venue_owner_scans(client, make_org, make_venue, make_user):
    org, other = make_org(), make_org()
    venue = make_venue(org)
    login(client, make_user(Role.MANAGER, other))
    assert client.get(f"/orgs/{org.id}/venues/{venue.id}/scan").status_code == 404
    assert client.get(f"/orgs/{other.id}/venues/{venue.id}/scan").status_code == 404
    assert re.search(
        "/login",
        client.application.test_client()
        .get(f"/orgs/{org.id}/venues/{venue.id}/scan")
        .headers["Location"],
    )
