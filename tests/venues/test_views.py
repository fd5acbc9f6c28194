from __future__ import annotations

import unicodedata

from signage.accounts.models import Role
from signage.venues.models import Venue

from ..helpers import login, post_form


def test_manager_creates_edits_and_deactivates_a_venue(
    client, session, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    url = f"/orgs/{org.id}/venues/new"
    assert client.get(url).status_code == 200
    resp = post_form(
        client,
        url,
        {
            "name": "  " + unicodedata.normalize("NFD", "Nhà hàng Cố Đô") + "\u200b ",
            "ward_code": "19786",
            "category": "food",
            "stay_minutes": "45",
            "address": "1 Lê Lợi",
        },
    )
    assert resp.status_code == 302
    venue = session.query(Venue).one()
    assert venue.name == "Nhà hàng Cố Đô"  # NFC, trimmed
    assert venue.stay_minutes == 45

    edit = f"/orgs/{org.id}/venues/{venue.id}/edit"
    assert client.get(edit).status_code == 200
    resp = post_form(
        client,
        edit,
        {
            "name": "Nhà hàng Cố Đô 2",
            "category": "food",
            "stay_minutes": "60",
            "ward_code": "",
        },
    )
    assert resp.status_code == 302
    session.refresh(venue)
    assert venue.name == "Nhà hàng Cố Đô 2" and venue.ward_code is None

    detail = f"/orgs/{org.id}/venues/{venue.id}"
    resp = post_form(client, detail + "/active", {}, form_url=detail)
    assert resp.status_code == 302
    session.refresh(venue)
    assert venue.active is False


def test_invalid_venue_keeps_input_and_answers_422(
    client, session, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    url = f"/orgs/{org.id}/venues/new"
    resp = post_form(
        client, url, {"name": "x" * 121, "category": "food", "stay_minutes": "2"}
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert "x" * 121 in body
    assert session.query(Venue).count() == 0


def test_a_name_the_board_cannot_print_is_refused_with_a_message(
    client, session, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    url = f"/orgs/{org.id}/venues/new"
    resp = post_form(
        client, url, {"name": "مطعم القلعة", "category": "food", "stay_minutes": "60"}
    )
    assert resp.status_code == 422
    assert "không có phông" in resp.get_data(as_text=True)
    assert session.query(Venue).count() == 0
