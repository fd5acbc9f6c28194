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
