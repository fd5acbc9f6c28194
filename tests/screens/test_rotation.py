"""A replaced board (rotated token) reaches the screens showing its check-in code."""

from __future__ import annotations

from sqlalchemy import select

from signage import qr
from signage.accounts.models import Role
from signage.screens import services
from signage.screens.models import Loop, SlideKind

from ..helpers import csrf_token, login

BASE = "https://qr.example.vn"


def test_rotating_a_token_reissues_published_loops_only(
    client, session, make_org, make_venue, make_user
):
    org = make_org()
    venue, other = make_venue(org, name="Sảnh chính"), make_venue(org)
    loop = services.create_loop(session, "Thang máy", None)
    services.add_slide(
        session,
        loop,
        services.SlideData(SlideKind.QR, title="Quét", qr_venue_id=venue.id),
    )
    services.add_slide(session, loop, services.SlideData(SlideKind.POSTER, title="5K"))
    session.expire(loop, ["slides"])
    services.publish(session, loop, BASE)
    untouched = services.create_loop(session, "Sảnh", None)
    services.add_slide(
        session, untouched, services.SlideData(SlideKind.QR, qr_venue_id=other.id)
    )
    session.expire(untouched, ["slides"])
    services.publish(session, untouched, BASE)
    # A draft edit that must not go live with the re-issue.
    loop.slides[1].title = "Bản nháp chưa phát hành"
    session.commit()
    old_token, before = venue.token, loop.version

    login(client, make_user(Role.MANAGER, org))
    page = f"/orgs/{org.id}/venues/{venue.id}"
    resp = client.post(f"{page}/rotate", data={"csrf_token": csrf_token(client, page)})
    assert resp.status_code == 302

    session.expire_all()
    loop = session.scalars(select(Loop).where(Loop.name == "Thang máy")).one()
    assert loop.version == before + 1
    slides = services.current_version(session, loop).slides
    new_token = session.get(type(venue), venue.id).token
    assert new_token != old_token
    assert slides[0]["qr"] == qr.payload(BASE, new_token)
    assert slides[1]["title"] == "5K"  # the draft stayed a draft
    other_loop = session.scalars(select(Loop).where(Loop.name == "Sảnh")).one()
    assert other_loop.version == 1
