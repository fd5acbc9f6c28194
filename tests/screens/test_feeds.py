"""Screens belong to whoever owns them; campaign feeds, subscriptions, the share."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.screens import devices
from signage.screens.models import Screen, ScreenFeed
from tests.helpers import login, post_form


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _feed(app, make_loop, make_user, name="Kênh Hue-S"):
    """A published association loop, offered as a feed by an association editor."""
    loop = make_loop([{"title": "Cài Hue-S"}, {"title": "Quét mã"}], name=name)
    client = app.test_client()
    editor = make_user(Role.EDITOR)
    login(client, editor)
    resp = post_form(
        client,
        f"/screens/loops/{loop.id}/feed",
        {"offered": "1"},
        f"/screens/loops/{loop.id}",
    )
    assert resp.status_code == 302
    return loop


def test_a_business_manager_pairs_its_own_screen_with_its_loop_and_a_feed(
    app, client, session, make_org, make_user, make_loop
):
    feed = _feed(app, make_loop, make_user)
    org = make_org(name="Khách sạn Hương Giang")
    own = make_loop(
        [{"title": "Khuyến mãi"}], name="Của khách sạn", organisation_id=org.id
    )
    manager = make_user(Role.MANAGER, org)
    login(client, manager)
    code, key = devices.start_pairing(session, 30)
    session.commit()
    page = client.get("/screens/pair").get_data(as_text=True)
    assert "Kênh Hue-S" in page and "Của khách sạn" in page
    resp = post_form(
        client,
        "/screens/pair",
        {
            "code": code.lower(),
            "name": "TV sảnh",
            "loop_id": str(own.id),
            "feeds": [str(feed.id)],
            "size": "1920x1080",
            "tags": "Sảnh, tầng 1",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-3000:]
    screen = session.scalar(select(Screen))
    assert screen.organisation_id == org.id
    assert screen.tag_list == ["sảnh", "tầng-1"]
    assert screen.ward_code == org.ward_code

    m = client.get("/play/api/manifest", headers=_auth(key)).get_json()
    assert m["share"] == 50
    pools = [(s["title"], s["pool"]) for s in m["slides"]]
    assert pools == [
        ("Khuyến mãi", "own"),
        ("Cài Hue-S", "campaign"),
        ("Quét mã", "campaign"),
    ]
    # Another organisation's manager does not see the screen.
    other = make_user(Role.MANAGER, make_org(name="Khác"))
    client2 = app.test_client()
    login(client2, other)
    assert client2.get(f"/screens/devices/{screen.id}").status_code == 404
    assert "TV sảnh" not in client2.get("/screens/devices").get_data(as_text=True)


def test_a_screen_operator_role_pairs_screens_of_its_organisation(
    client, session, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.SCREENS, org))
    code, _key = devices.start_pairing(session, 30)
    session.commit()
    resp = post_form(
        client,
        "/screens/pair",
        {"code": code, "name": "Thang máy A", "loop_id": "", "size": "1080x1920"},
    )
    assert resp.status_code == 302
    assert session.scalar(select(Screen.organisation_id)) == org.id
    # Pairing the same code again says which screen already has it.
    resp = post_form(
        client,
        "/screens/pair",
        {"code": code, "name": "Thang máy B", "loop_id": "", "size": "1080x1920"},
    )
    assert resp.status_code == 422
    assert "Thang máy A" in resp.get_data(as_text=True)
    # Another organisation typing the same code is told it is taken, not whose.
    other = client.application.test_client()
    login(other, make_user(Role.MANAGER, make_org()))
    resp = post_form(
        other,
        "/screens/pair",
        {"code": code, "name": "TV", "loop_id": "", "size": "1080x1920"},
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "đã được dùng để ghép một màn hình khác" in text
    assert "Thang máy A" not in text
    assert session.scalar(select(func.count()).select_from(Screen)) == 1


def test_withdrawn_feed_leaves_the_screens_at_their_next_poll_never_blank(
    app, client, session, make_org, make_user, make_loop, pair_screen
):
    feed = _feed(app, make_loop, make_user)
    screen, key = pair_screen(None)
    session.add(ScreenFeed(screen_id=screen.id, loop_id=feed.id))
    session.commit()
    first = client.get("/play/api/manifest", headers=_auth(key))
    assert [s["pool"] for s in first.get_json()["slides"]] == ["campaign"] * 2

    login(client, make_user(Role.EDITOR))
    resp = post_form(
        client,
        f"/screens/loops/{feed.id}/feed",
        {"offered": "0"},
        f"/screens/loops/{feed.id}",
    )
    assert "1 màn hình" in client.get(resp.headers["Location"]).get_data(as_text=True)
    again = client.get(
        "/play/api/manifest",
        headers={**_auth(key), "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 200
    body = again.get_json()
    assert body["slides"] == [] and body["fallback"]
    # The subscription stays: offered again, the feed comes back.
    assert session.scalar(select(ScreenFeed.loop_id)) == feed.id
    page = client.get(f"/screens/devices/{screen.id}").get_data(as_text=True)
    assert "đã ngừng cung cấp kênh" in page


def test_province_sets_the_campaign_share_and_the_association_sees_carriage(
    app, client, session, make_org, make_user, make_loop, pair_screen
):
    feed = _feed(app, make_loop, make_user)
    org = make_org(name="Siêu thị Xanh")
    own = make_loop([{"title": "Riêng"}], name="Riêng", organisation_id=org.id)
    screen, key = pair_screen(own)
    session.add(ScreenFeed(screen_id=screen.id, loop_id=feed.id))
    session.commit()
    login(client, make_user(Role.ADMIN))
    resp = post_form(
        client,
        "/screens/settings",
        {"campaign_share": "70", "offline_alert_minutes": "45"},
    )
    assert resp.status_code == 302
    bad = post_form(
        client,
        "/screens/settings",
        {"campaign_share": "170", "offline_alert_minutes": "45"},
    )
    assert bad.status_code == 422
    manifest = client.get("/play/api/manifest", headers=_auth(key)).get_json()
    assert manifest["share"] == 70

    slide = feed.slides[0]
    client.post(
        "/play/api/plays",
        headers=_auth(key),
        json={
            "plays": [
                {
                    "id": "abcdefgh-1",
                    "slide": slide.id,
                    "version": feed.version_hash,
                    "start": time.time() * 1000 - 90_000,
                    "duration": 90_000,
                }
            ]
        },
    )
    page = client.get("/screens/feeds").get_data(as_text=True)
    table = page.split('id="carriage"')[1]
    assert "Kênh Hue-S" in table and "TV sảnh" in table and "Siêu thị Xanh" in table
    assert "1.5" in table
