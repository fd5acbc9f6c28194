"""Venue tokens: unguessable, hand-typeable, rotation answers 'replaced'."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.models import Organisation, User, Venue
from signage.venues import tokens

from ..helpers import csrf_token, login


def test_tokens_use_crockford_alphabet_and_are_distinct():
    seen = {tokens.new_token() for _ in range(5000)}
    assert len(seen) == 5000
    for t in seen:
        assert len(t) == 10 and not set(t) & set("ILOU") and t == t.upper()


def test_typed_tokens_are_normalised():
    assert tokens.normalise("7kq-2m9 xw3d") == "7KQ2M9XW3D"
    assert tokens.normalise("OIL2345678") == "0112345678"
    assert tokens.normalise("too short") is None
    assert tokens.normalise("<script>") is None
    # A canonical token comes back as it is; one with anything around it, cleaned.
    assert tokens.normalise("7KQ2M9XW3D") == "7KQ2M9XW3D"
    assert tokens.normalise("7KQ2M9XW3D\n") == "7KQ2M9XW3D"
    assert tokens.normalise("7KQ2M9XW3DD") is None
    assert tokens.grouped("7KQ2M9XW3D") == "7KQ-2M9-XW3D"


def test_scan_page_accepts_any_case(client, make_venue):
    venue = make_venue(name="Quán cà phê Êčăm")
    for variant in (venue.token, venue.token.lower(), tokens.grouped(venue.token)):
        resp = client.get(f"/C/{variant}", follow_redirects=True)
        assert resp.status_code == 200
        assert "Quán cà phê Êčăm" in resp.get_data(as_text=True)


def test_rotation_retires_the_old_board(
    client, session, make_org, make_venue, make_user
):
    org = make_org()
    venue = make_venue(org)
    old = venue.token
    login(client, make_user(Role.MANAGER, org))
    page = f"/orgs/{org.id}/venues/{venue.id}"
    resp = client.post(f"{page}/rotate", data={"csrf_token": csrf_token(client, page)})
    assert resp.status_code == 302
    session.expire_all()
    new = session.get(Venue, venue.id).token
    assert new != old
    anon = client.application.test_client()
    resp = anon.get(f"/C/{old}")
    assert resp.status_code == 410
    body = resp.get_data(as_text=True)
    assert "thay thế" in body and venue.name not in body
    assert anon.get(f"/C/{new}").status_code == 200
    assert anon.get("/C/ZZZZZZZZZZ").status_code == 404


def test_deactivated_venue_says_so(client, session, make_org, make_venue, make_user):
    org = make_org()
    venue = make_venue(org)
    login(client, make_user(Role.MANAGER, org))
    page = f"/orgs/{org.id}/venues/{venue.id}"
    client.post(f"{page}/active", data={"csrf_token": csrf_token(client, page)})
    resp = client.application.test_client().get(f"/C/{venue.token}")
    assert resp.status_code == 410
    assert "ngừng" in resp.get_data(as_text=True).lower()


def test_venues_list_cli_prints_csv(app, make_org, make_venue):
    org = make_org(name='Công ty "Sông Hương", Huế')
    v1 = make_venue(org, name="Sảnh chính")
    v2 = make_venue(org, name="Nhà ăn, tầng 2")
    out = app.test_cli_runner().invoke(args=["venues", "list"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert rows[0] == ["token", "name", "organisation"]
    assert [v1.token, "Sảnh chính", org.name] in rows
    assert [v2.token, "Nhà ăn, tầng 2", org.name] in rows


def test_demo_load_is_idempotent(app, session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "quanly@demo.signage.vn" in first.output

    def counts():
        return [
            session.scalar(select(func.count()).select_from(m))
            for m in (Organisation, Venue, User)
        ]

    before = counts()
    assert all(before)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert counts() == before


def test_venues_list_cli_writes_formulas_as_text(app, make_org, make_venue):
    org = make_org(name="@Công ty Lừa Đảo")
    venue = make_venue(org, name='=HYPERLINK("http://x.vn","Bấm")')
    out = app.test_cli_runner().invoke(args=["venues", "list"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert [venue.token, '\'=HYPERLINK("http://x.vn","Bấm")', "'@Công ty Lừa Đảo"] in (
        rows
    )
