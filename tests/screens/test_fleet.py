"""The fleet view: what each screen shows (as reported), status, groups by filter and
tags with one-step assignment, and the owner's e-mail when a screen goes offline."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from signage.accounts.models import Role
from signage.db import utcnow
from signage.jobs.housekeeping import alert_offline_screens
from signage.screens.models import Screen, ScreenFeed
from tests.helpers import login, post_form


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_the_list_shows_the_slide_each_player_reports_and_refreshes_itself(
    client, session, make_user, make_loop, pair_screen
):
    loop = make_loop([{"title": "Cài Hue-S"}])
    screen, key = pair_screen(loop, name="TV sảnh")
    pair_screen(loop, name="TV mới ghép")
    m = client.get("/play/api/manifest", headers=_auth(key)).get_json()
    src = m["slides"][0]["src"]
    slide = m["slides"][0]
    resp = client.post(
        "/play/api/plays",
        headers=_auth(key),
        json={
            "plays": [
                {
                    "id": "play-0001",
                    "slide": slide["id"],
                    "version": slide["version"],
                    "start": time.time() * 1000 - 5000,
                    "duration": 5000,
                }
            ],
            "status": {
                "src": src,
                "label": "Cài Hue-S",
                "version": "2026.12-1",
                "size": "1366x768",
            },
        },
    )
    assert resp.get_json()["accepted"] == 1
    # A status pointing anywhere but a rendered slide is ignored.
    client.post(
        "/play/api/plays",
        headers=_auth(key),
        json={"plays": [], "status": {"src": "https://evil.example/x.jpg"}},
    )
    login(client, make_user(Role.EDITOR))
    page = client.get("/screens/devices").get_data(as_text=True)
    row = page.split(f'data-screen="{screen.id}"')[1].split("</tr>")[0]
    assert f'src="{src}"' in row and "Cài Hue-S" in row
    assert "2026.12-1" in row and "thực tế 1366×768" in row and "Trực tuyến" in row
    assert "Chờ kết nối" in page  # paired, never connected: not "offline"
    rows = client.get("/screens/devices?partial=1").get_data(as_text=True)
    assert rows.lstrip().startswith("<tr") and "TV sảnh" in rows
    assert "<html" not in rows


def test_a_filtered_group_gets_a_feed_and_a_loop_in_one_step(
    app, client, session, make_user, make_org, make_loop, pair_screen
):
    org = make_org(name="Chuỗi cà phê")
    own = make_loop([{"title": "Menu"}], name="Menu", organisation_id=org.id)
    feed = make_loop([{"title": "Hue-S"}], name="Kênh Hue-S")
    feed.feed = True
    session.commit()
    screens = [pair_screen(own, name=f"Quầy {i}")[0] for i in range(3)]
    for sc, tags in zip(screens, (" quầy ", " quầy ", " kho "), strict=True):
        session.get(Screen, sc.id).tags = tags
        session.get(Screen, sc.id).loop_id = None
    session.commit()
    login(client, make_user(Role.MANAGER, org))
    page = client.get("/screens/devices?tag=Quầy").get_data(as_text=True)
    assert "Quầy 0" in page and "Quầy 1" in page and "Quầy 2" not in page
    resp = post_form(
        client,
        "/screens/devices/assign?tag=quầy",
        {"loop_id": str(own.id), "feed_id": str(feed.id)},
        "/screens/devices?tag=quầy",
    )
    assert resp.status_code == 302
    done = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "kênh chiến dịch cho 2 màn hình" in done
    session.expire_all()
    got = {
        sc.name: (sc.loop_id, [f.loop_id for f in sc.feeds])
        for sc in session.scalars(select(Screen))
    }
    assert got == {
        "Quầy 0": (own.id, [feed.id]),
        "Quầy 1": (own.id, [feed.id]),
        "Quầy 2": (None, []),
    }
    # The group emptied (tags changed): a clear message, nothing changed.
    session.execute(update(Screen).values(tags=""))
    session.commit()
    resp = post_form(
        client,
        "/screens/devices/assign?tag=quầy",
        {"feed_id": str(feed.id)},
        "/screens/devices",
    )
    msg = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nhóm này không còn màn hình nào" in msg
    assert len(session.scalars(select(ScreenFeed)).all()) == 2


def test_owners_are_emailed_once_when_a_screen_stays_offline(
    app, session, smtp_server, make_org, make_user, make_loop, pair_screen
):
    org = make_org(name="Bệnh viện Trung ương")
    manager = make_user(Role.MANAGER, org, email="quanly@benhvien.vn")
    make_user(Role.MANAGER, make_org(), email="khac@example.vn")
    loop = make_loop(organisation_id=org.id)
    screen, _key = pair_screen(loop, name="TV khoa khám bệnh")
    row = session.get(Screen, screen.id)
    row.last_seen_at = utcnow() - timedelta(minutes=45)
    session.commit()

    assert alert_offline_screens(app) == 1
    assert [m["To"] for m in smtp_server.messages] == [manager.email]
    body = smtp_server.messages[0].get_payload(decode=True).decode()
    assert "TV khoa khám bệnh" in body and f"/screens/devices/{screen.id}" in body
    # Once per outage: the next run sends nothing; after it is back and gone again,
    # the owner hears again.
    assert alert_offline_screens(app) == 0
    session.refresh(row)
    row.offline_alerted_at = utcnow() - timedelta(hours=2)  # that outage...
    row.last_seen_at = utcnow() - timedelta(minutes=31)  # ...ended; a new one
    session.commit()
    assert alert_offline_screens(app) == 1
    assert len(smtp_server.messages) == 2


def test_the_province_groups_screens_by_kind_ward_and_organisation(
    client, session, make_user, make_org, make_loop, pair_screen
):
    from signage.accounts.models import OrgKind

    school = make_org(name="Trường Quốc Học", kind=OrgKind.SCHOOL, ward_code=19815)
    shop = make_org(name="Siêu thị Huế", kind=OrgKind.BUSINESS, ward_code=19909)
    feed = make_loop([{"title": "Hue-S"}], name="Kênh Hue-S")
    feed.feed = True
    session.commit()
    names = {}
    for org, name in ((school, "TV trường"), (shop, "TV siêu thị")):
        loop = make_loop([{"title": "Riêng"}], name=name, organisation_id=org.id)
        names[org.id] = pair_screen(loop, name=name)[0].name
    login(client, make_user(Role.ADMIN))

    def shown(query: str) -> set[str]:
        rows = client.get(f"/screens/devices?partial=1&{query}").get_data(True)
        return {n for n in names.values() if n in rows}

    assert shown("") == {"TV trường", "TV siêu thị"}
    assert shown("kind=school") == {"TV trường"}
    assert shown("ward=19909") == {"TV siêu thị"}
    assert shown(f"org={shop.id}") == {"TV siêu thị"}
    assert shown("kind=school&ward=19909") == set()
    # The kind's group gets the feed in one step; the other screen does not.
    resp = post_form(
        client,
        "/screens/devices/assign?kind=school",
        {"feed_id": str(feed.id)},
        "/screens/devices?kind=school",
    )
    assert "kênh chiến dịch cho 1 màn hình" in client.get(
        resp.headers["Location"]
    ).get_data(as_text=True)
    session.expire_all()
    carried = {
        sc.name: [f.loop_id for f in sc.feeds] for sc in session.scalars(select(Screen))
    }
    assert carried == {"TV trường": [feed.id], "TV siêu thị": []}
