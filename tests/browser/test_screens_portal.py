"""The screens portal in Chromium: pair a /play tab through the form, reorder slides
by drag and drop."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from signage.accounts.models import Role
from signage.screens import services
from signage.screens.models import Loop, Screen, SlideKind

from ..helpers import PASSWORD


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    # The screen tab asks whether it is paired every min(5, poll) seconds: at 2 s,
    # the 10 s a paired screen gets to show its first slide is not half spent
    # waiting for that question under a loaded CI (a production screen asks every
    # 5 s; what is checked is the same).
    return {"SCREENS_POLL_SECONDS": 2}


def _sign_in(page, url, user) -> None:
    page.goto(url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/home/screens")


def _loop(session, app, titles):
    loop = services.create_loop(session, "Chiến dịch tháng 12", None)
    for t in titles:
        services.add_slide(session, loop, services.SlideData(SlideKind.POSTER, title=t))
    session.expire(loop, ["slides"])
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    return loop


def test_editor_pairs_a_screen_with_its_code(
    browser, live_server, page, session, app, make_user
):
    loop = _loop(session, app, ["Cài ứng dụng"])
    screen_tab = browser.new_context(viewport={"width": 640, "height": 360}).new_page()
    screen_tab.goto(live_server.url + "/play")
    screen_tab.wait_for_function(
        "() => /^[2-9A-Z]{6}$/.test(document.getElementById('code').textContent.trim())"
    )
    code = screen_tab.inner_text("#code").strip()

    _sign_in(page, live_server.url, make_user(Role.EDITOR))
    page.goto(live_server.url + "/screens/pair")
    page.fill("#code", code.lower())
    page.fill("#name", "Thang máy A")
    page.select_option("#loop_id", str(loop.id))
    page.select_option("#size", "1080x1920")
    page.click("main button[type=submit]")
    page.wait_for_url("**/screens/devices")
    screen_tab.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    shown = screen_tab.evaluate(
        "new URL(window.signagePlayer.state.current.item.src, location.href).pathname"
    )
    # No reload: the fleet list refreshes itself, the row turns online and shows a
    # thumbnail of exactly the slide the player reports.
    row = page.locator("tbody tr", has_text="Thang máy A")
    expect(row).to_contain_text("Trực tuyến", timeout=15_000)
    expect(row.locator(f'img[src="{shown}"]')).to_have_count(1, timeout=15_000)
    assert "1080×1920" in row.inner_text()
    screen = session.scalar(select(Screen))
    assert (screen.width, screen.height) == (1080, 1920)
    screen_tab.context.close()


def test_drag_and_drop_reorders_slides(live_server, page, session, app, make_user):
    loop = _loop(session, app, ["Một", "Hai", "Ba"])
    ids = [s.id for s in loop.slides]
    _sign_in(page, live_server.url, make_user(Role.EDITOR))
    page.goto(f"{live_server.url}/screens/loops/{loop.id}")
    with page.expect_response(lambda r: r.url.endswith("/order")) as info:
        page.drag_and_drop(
            f"#slide-{ids[2]} .grip",
            f"#slide-{ids[0]} .meta",
            target_position={"x": 5, "y": 2},
        )
    assert info.value.status == 200
    session.expire_all()
    assert [s.title for s in session.get(Loop, loop.id).slides] == ["Ba", "Một", "Hai"]
    page.reload()
    assert page.locator("#slides li[data-id]").evaluate_all(
        "els => els.map(e => e.dataset.id)"
    ) == [str(ids[2]), str(ids[0]), str(ids[1])]


def _sign_in_as(page, url, user) -> None:
    page.goto(url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def test_business_manager_pairs_its_screen_subscribes_a_feed_and_sees_overflow(
    browser, live_server, page, session, app, make_user, make_org
):
    from signage.screens import feeds

    feed = _loop(session, app, ["Cài ứng dụng Hue-S"])
    feeds.set_offered(session, feed, True)
    session.commit()
    org = make_org(name="Khách sạn Hương Giang")
    screen_tab = browser.new_context(viewport={"width": 640, "height": 360}).new_page()
    screen_tab.goto(live_server.url + "/play")
    screen_tab.wait_for_function(
        "() => /^[2-9A-Z]{6}$/.test(document.getElementById('code').textContent.trim())"
    )
    code = screen_tab.inner_text("#code").strip()

    _sign_in_as(page, live_server.url, make_user(Role.MANAGER, org))
    page.goto(live_server.url + "/screens/pair")
    page.fill("#code", code)
    page.fill("#name", "TV sảnh khách sạn")
    feed_box = page.get_by_label("Chiến dịch tháng 12")
    assert feed_box.is_checked()  # offered feeds are proposed by default
    page.click("main button[type=submit]")
    page.wait_for_url("**/screens/devices")
    feed_slide = str(feed.slides[0].id)
    screen_tab.wait_for_function(
        f"() => document.body.dataset.slide === '{feed_slide}'", timeout=10_000
    )
    screen = session.scalar(select(Screen))
    assert screen.organisation_id == org.id and [f.loop_id for f in screen.feeds] == [
        feed.id
    ]
    screen_tab.context.close()

    # Its own loop: an over-long text is flagged live at the portrait size, and
    # publishing refuses it.
    page.goto(live_server.url + "/screens/")
    page.fill("#name", "Khuyến mãi")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/screens/loops/*")
    page.click("text=+ Áp phích")
    page.fill("#title", "Ưu đãi")
    page.select_option("#preview-size", "1080x1920")
    page.fill("#body", "Giảm giá cho khách quét mã khi vào cửa. " * 24)
    warn = page.locator("#preview-overflow")
    warn.wait_for(state="visible", timeout=10_000)
    assert "1080×1920" in warn.inner_text()
    page.fill("#body", "Giảm giá 20 % cho khách quét mã khi vào cửa.")
    page.locator("#preview-ok").wait_for(state="visible", timeout=10_000)
    assert page.locator("#preview-overflow").is_hidden()
    page.fill("#body", "Giảm giá cho khách quét mã khi vào cửa. " * 24)
    page.click("#slide-form button[type=submit]")
    page.wait_for_url("**/screens/loops/*")
    page.click("text=Phát hành thay đổi")
    # The refusal is the page the publish POST redirects to: wait for it to arrive
    # (publishing checks every size first), rather than read the page it replaces.
    expect(page.locator("main")).to_contain_text(
        "Chưa phát hành: chữ không vừa", timeout=15_000
    )
    session.expire_all()
    own = session.scalar(select(Loop).where(Loop.name == "Khuyến mãi"))
    assert own.organisation_id == org.id and own.version == 0
