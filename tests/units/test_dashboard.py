"""Supervisors see their whole subtree and nothing else; the admin sees the root."""

from __future__ import annotations

import csv
import io
import re

import pytest

from signage.errors import Invalid
from signage.units import tree

from ..helpers import login


def _kpi(page: str, name: str) -> str:
    m = re.search(rf'data-kpi="{name}">([^<]*)<', page)
    assert m, name
    return m.group(1).strip()


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200
    return list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))


def test_ward_supervisor_sees_its_subtree_figures(client, hue):
    login(client, hue.users["sup_a"])
    page = client.get("/units/").get_data(as_text=True)
    assert "UBND phường Thuận Hóa" in page
    # hotel (2 venues, 1 board) + cafe (none) + the committee itself
    assert _kpi(page, "organisations") == "3"
    assert _kpi(page, "venues") == "2"
    assert _kpi(page, "venues_boarded") == "1"
    assert "Khách sạn Sông Hương" in page and "Cà phê Muối" in page
    assert "Chợ Đông Ba" not in page  # the neighbour's member
    assert "Trường THPT Hai Bà Trưng" not in page


def test_a_ward_never_sees_its_neighbours_subtree(client, hue):
    login(client, hue.users["sup_a"])
    for url in (
        f"/units/{hue.orgs['ward_b'].id}/",
        f"/units/{hue.orgs['ward_b'].id}/dashboard.csv",
        f"/units/{hue.orgs['ward_b'].id}/laggards.csv",
        f"/units/orgs/{hue.orgs['market'].id}",
        f"/units/orgs/{hue.orgs['market'].id}/venues/{hue.venues['stall'].id}",
        f"/units/orgs/{hue.orgs['hotel'].id}/venues/{hue.venues['stall'].id}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/units/orgs/{hue.orgs['hotel'].id}").status_code == 200


def test_supervisor_cannot_climb_above_its_unit(client, hue, session, make_org):
    top = make_org(name="UBND thành phố")
    tree.set_parent(session, hue.orgs["ward_a"], top.id)
    session.commit()
    login(client, hue.users["sup_a"])
    assert client.get(f"/units/{top.id}/").status_code == 404
    assert client.get(f"/units/orgs/{top.id}").status_code == 404


def test_admin_sees_the_root_and_drills_down(client, hue):
    login(client, hue.users["admin"])
    page = client.get("/units/").get_data(as_text=True)
    assert _kpi(page, "organisations") == "7"
    assert _kpi(page, "venues") == "4"
    assert _kpi(page, "venues_boarded") == "2"
    # a unit with members links to its dashboard, a leaf to its organisation page
    assert f'href="/units/{hue.orgs["edu"].id}/"' in page
    page = client.get(f"/units/{hue.orgs['edu'].id}/").get_data(as_text=True)
    assert f'href="/units/orgs/{hue.orgs["school"].id}"' in page
    page = client.get(f"/units/orgs/{hue.orgs['school'].id}").get_data(as_text=True)
    assert "Cổng trường" in page and "đã tải ngày" in page
    venue = hue.venues["gate"]
    url = f"/units/orgs/{hue.orgs['school'].id}/venues/{venue.id}"
    assert client.get(url).status_code == 200


def test_csvs_list_branches_and_laggards_with_contacts(client, hue, session):
    hue.orgs["cafe"].contact_name = "Lê Thị Hoa"
    hue.orgs["cafe"].contact_phone = "0905123456"
    session.add(hue.orgs["cafe"])
    session.commit()
    login(client, hue.users["sup_a"])
    rows = _csv(client.get("/units/dashboard.csv"))
    names = [r[0] for r in rows[1:]]
    assert names == [
        "UBND phường Thuận Hóa",
        "Cà phê Muối",
        "Khách sạn Sông Hương",
        "TỔNG",
    ]
    total = rows[-1]
    assert total[2:6] == ["3", "2", "1", "50.0"]
    lag = _csv(client.get("/units/laggards.csv"))
    by_name = {r[0]: r for r in lag[1:]}
    assert set(by_name) == {"Cà phê Muối", "Khách sạn Sông Hương"}
    cafe = by_name["Cà phê Muối"]
    assert cafe[4:6] == ["Lê Thị Hoa", "0905123456"]
    assert "chưa đăng ký địa điểm" in cafe[-1]
    hotel = by_name["Khách sạn Sông Hương"]
    assert hue.users["hotel"].email in hotel[7]
    assert "chưa tải bảng QR" in hotel[-1]


def test_managers_do_not_see_units(client, hue):
    login(client, hue.users["hotel"])
    assert client.get("/units/").status_code == 404
    assert client.get(f"/units/{hue.orgs['ward_a'].id}/").status_code == 404


def test_tree_refuses_cycles_and_depth(session, hue, make_org):
    with pytest.raises(Invalid):
        tree.set_parent(session, hue.orgs["ward_a"], hue.orgs["hotel"].id)
    with pytest.raises(Invalid):
        tree.set_parent(session, hue.orgs["ward_a"], hue.orgs["ward_a"].id)
    chain = [hue.orgs["hotel"]]
    for i in range(3):  # hotel is at depth 2: 3 more levels make 5
        o = make_org(name=f"Cấp {i}")
        tree.set_parent(session, o, chain[-1].id)
        chain.append(o)
    too_deep = make_org(name="Cấp 6")
    with pytest.raises(Invalid):
        tree.set_parent(session, too_deep, chain[-1].id)
    # moving a 2-level subtree under a depth-4 node would make it 6 deep
    with pytest.raises(Invalid):
        tree.set_parent(session, hue.orgs["ward_b"], chain[-2].id)


def test_progress_chart_reads_each_past_day(app, client, hue, session):
    """The daily job writes each unit's past days from dated facts; the chart draws
    them with today's live point."""
    from datetime import timedelta

    from sqlalchemy import update

    from signage.db import utcnow
    from signage.posters.models import BoardDownload
    from signage.units import progress
    from signage.units.models import ROOT, UnitDay
    from signage.venues.models import Venue

    now = utcnow()
    session.execute(update(Venue).values(created_at=now - timedelta(days=5)))
    session.execute(update(BoardDownload).values(created_at=now - timedelta(days=2)))
    session.commit()
    with app.app_context():
        from signage import timefmt

        today = timefmt.today_local()
        zone = timefmt.zone()
        from signage.db import get_db

        n = progress.fill(
            get_db(app).write,
            start=today - timedelta(days=3),
            today=today,
            province_code=46,
            zone=zone,
        )
    assert n == 3
    rows = session.query(UnitDay).filter_by(unit_id=hue.orgs["ward_a"].id).all()
    assert len(rows) == 3
    first = min(rows, key=lambda r: r.day)  # three days ago: no board yet
    assert (first.venues, first.venues_boarded) == (2, 0)
    yesterday = max(rows, key=lambda r: r.day)
    assert (yesterday.organisations, yesterday.venues, yesterday.venues_boarded) == (
        3,
        2,
        1,
    )
    root = session.get(UnitDay, (ROOT, yesterday.day))
    assert root.organisations == 7 and root.venues_boarded == 2
    # a second run writes nothing new
    with app.app_context():
        assert (
            progress.fill(
                get_db(app).write,
                start=today - timedelta(days=3),
                today=today,
                province_code=46,
                zone=zone,
            )
            == 0
        )
    login(client, hue.users["sup_a"])
    page = client.get("/units/").get_data(as_text=True)
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert "Địa điểm đã có bảng QR — 50%" in svg
    # 3 past days and today for boards produced, boards posted, check-ins and
    # reports; no staff figures yet, so the adoption line has no point at all
    assert svg.count("<circle") == 4 * 4


def _move(client, org_id: int, parent: str):
    from ..helpers import csrf_token

    token = csrf_token(client, f"/units/orgs/{org_id}")
    return client.post(
        f"/units/orgs/{org_id}/parent", data={"csrf_token": token, "parent_id": parent}
    )


def test_moving_organisations_within_the_tree(client, hue, session, app):
    cafe, hotel = hue.orgs["cafe"], hue.orgs["hotel"]
    login(client, hue.users["sup_a"])
    # within the ward: the café under the hotel (the hotel now has a member)
    assert _move(client, cafe.id, str(hotel.id)).status_code == 302
    session.refresh(cafe)
    assert cafe.parent_id == hotel.id
    # never to the neighbour's ward, never to the top level
    _move(client, cafe.id, str(hue.orgs["ward_b"].id))
    _move(client, cafe.id, "")
    session.refresh(cafe)
    assert cafe.parent_id == hotel.id
    # never its own unit, never someone outside
    assert _move(client, hue.orgs["ward_a"].id, "").status_code == 400
    assert _move(client, hue.orgs["market"].id, str(hotel.id)).status_code == 404
    # a cycle is refused with its message
    resp = _move(client, hotel.id, str(cafe.id))
    session.refresh(hotel)
    assert hotel.parent_id == hue.orgs["ward_a"].id
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "đơn vị cấp dưới" in page
    # the admin may move a ward committee under a new top unit
    admin = app.test_client()
    login(admin, hue.users["admin"])
    assert (
        _move(admin, hue.orgs["market"].id, str(hue.orgs["edu"].id)).status_code == 302
    )


def test_boards_confirmed_posted_count_in_the_subtree_and_previews_do_not(
    client, hue, session
):
    """The hotel's manager confirms the lobby board posted: the ward's dashboard
    counts it; a mere preview of the pool's board is not a board produced."""
    from signage.posters.models import BoardDownload
    from signage.reports import postings
    from signage.storage import get_storage

    lobby, pool = hue.venues["lobby"], hue.venues["pool"]
    postings.confirm_posted(
        session,
        get_storage(client.application),
        org_id=lobby.organisation_id,
        venue_id=lobby.id,
        user_id=None,
    )
    session.add(
        BoardDownload(
            venue_id=pool.id,
            organisation_id=pool.organisation_id,
            size="a4",
            preview=True,
        )
    )
    session.commit()
    login(client, hue.users["sup_a"])
    page = client.get("/units/").get_data(as_text=True)
    assert _kpi(page, "venues_posted") == "1"
    assert _kpi(page, "venues_boarded") == "1"


def test_the_charts_begin_on_the_campaign_start_set_in_the_portal(app, session, hue):
    from datetime import timedelta

    from signage import timefmt
    from signage.campaign import services as campaign
    from signage.units.cli import fill_progress

    with app.app_context():
        today = timefmt.today_local()
    campaign.save(session, {"start": today - timedelta(days=2)})
    session.commit()
    with app.app_context():
        assert fill_progress(app) == 2  # the two days before today


def test_check_ins_reports_and_adoption_count_in_the_subtree_only(
    client, app, hue, session
):
    """Venues with check-ins in the last 7 days, reports sent and adoption: the
    ward counts its own members' (a check-in 8 days old does not count), the
    neighbouring ward none of them."""
    from datetime import timedelta

    from signage.checkin import services as checkins
    from signage.db import utcnow
    from signage.reports import services as reports

    now = utcnow()
    for i, (venue, age) in enumerate(
        (("lobby", 1), ("pool", 8), ("stall", 2), ("lobby", 0))
    ):
        checkins.check_in(
            session,
            hue.venues[venue],
            checkins.Visitor(f"Người {i}", f"+8490123450{i}"),
            submission_id=checkins.new_submission_id(),
            secret="x",
            now=now - timedelta(days=age, minutes=1),
        )
    reports.submit_report(
        session, hue.orgs["hotel"].id, reports.ReportData(40, 30, 0), None
    )
    reports.submit_report(
        session, hue.orgs["market"].id, reports.ReportData(10, 1, 0), None
    )
    session.commit()

    login(client, hue.users["sup_a"])
    page = client.get("/units/").get_data(as_text=True)
    assert _kpi(page, "venues_active") == "1"  # the lobby; the pool's is too old
    assert _kpi(page, "orgs_reported") == "1"  # the hotel, of 3 organisations
    assert _kpi(page, "adoption") == "75%"
    assert "30 / 40" in page
    rows = _csv(client.get("/units/laggards.csv"))
    assert {r[0] for r in rows[1:]} == {"Cà phê Muối", "Khách sạn Sông Hương"}

    neighbour = app.test_client()
    login(neighbour, hue.users["sup_b"])
    page = neighbour.get("/units/").get_data(as_text=True)
    assert _kpi(page, "venues_active") == "1"  # the market's stall
    assert _kpi(page, "orgs_reported") == "1"
    assert _kpi(page, "adoption") == "10%"
    assert "30 / 40" not in page


def test_a_contact_who_is_also_the_manager_is_listed_once(client, hue, session):
    """A registered organisation's contact e-mail is its manager's login: the
    laggards' contact column and the organisation page show it once."""
    hotel = hue.orgs["hotel"]
    email = hue.users["hotel"].email
    hotel.contact_email = email
    session.add(hotel)
    session.commit()
    login(client, hue.users["sup_a"])
    page = client.get("/units/").get_data(as_text=True)
    assert page.count(f'href="mailto:{email}"') == 1
    page = client.get(f"/units/orgs/{hotel.id}").get_data(as_text=True)
    assert page.count(f'href="mailto:{email}"') == 1
