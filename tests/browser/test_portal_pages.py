"""The portal in a real browser: sign in as a manager and add a venue."""

from __future__ import annotations

from pathlib import Path

from signage.accounts.models import Role

from ..helpers import PASSWORD


def test_manager_signs_in_and_adds_a_venue(
    live_server, page, make_org, make_user, tmp_path: Path
):
    org = make_org(name="Công ty TNHH Ánh Dương")
    user = make_user(Role.MANAGER, org)
    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{org.id}/")
    assert "Công ty TNHH Ánh Dương" in page.inner_text("h1")

    page.click("text=Thêm địa điểm")
    page.fill("#name", "Quầy lễ tân – Tầng trệt")
    page.select_option("#ward_code", label="Phường Thuận Hóa")
    page.click("main button[type=submit]")
    page.wait_for_selector(".token")
    assert page.inner_text("h1") == "Quầy lễ tân – Tầng trệt"
    page.screenshot(path=str(tmp_path / "venue.png"), full_page=True)


def test_portal_fits_a_phone_and_switches_to_english(
    live_server, phone_page, make_org, make_venue, make_user
):
    org = make_org(name="Trường Tiểu học Lê Lợi")
    for n in range(3):
        make_venue(org, name=f"Phòng học số {n} – Dãy nhà B, tầng {n}")
    user = make_user(Role.MANAGER, org)
    page = phone_page
    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{org.id}/")

    def overflow() -> int:
        return page.evaluate(
            "document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )

    assert overflow() <= 0, "the organisation page scrolls sideways on a phone"
    page.click("text=Phòng học số 1 – Dãy nhà B, tầng 1")
    page.wait_for_selector(".token")
    assert overflow() <= 0, "the venue page scrolls sideways on a phone"

    page.click("header >> text=EN")
    page.wait_for_selector("header >> text=Sign out")
    assert "Venue code" in page.inner_text("main")
    assert overflow() <= 0
