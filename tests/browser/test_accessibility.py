"""axe-core (npm's, installed by .ci/run into node_modules/) over the public and
portal pages in Chromium: no serious or critical violation. And the resident's
check-in button is on screen without scrolling on a 360 x 740 phone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from signage.accounts.models import Role

from ..helpers import PASSWORD

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: .ci/run must npm install axe-core")
        pytest.skip("axe-core not installed (npm install axe-core@4.14.1)")
    return AXE.read_text()


def _violations(page: Any, axe: str) -> list[str]:
    # evaluate() runs in the page's world without being subject to its CSP.
    page.evaluate(axe)
    return page.evaluate(
        """async () => (await axe.run(document, {
              runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']
            })).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )


def _login(page: Any, url: str, user: Any) -> None:
    page.goto(url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_public_pages_have_no_serious_accessibility_violations(
    live_server, browser, make_venue, axe_source
):
    venue = make_venue(name="Thư viện tổng hợp")
    context = browser.new_context(
        locale="vi-VN", viewport=SMALL_PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}
    scan = f"{live_server.url}/C/{venue.token}"
    for path in (f"/C/{venue.token}", "/C", "/C/ZZZZZZZZZZ", "/", "/login"):
        page.goto(live_server.url + path)
        found[path] = _violations(page, axe_source)
    page.goto(scan)
    button = page.locator("main form button[type=submit]").first.bounding_box()
    assert button is not None and button["y"] + button["height"] <= 740, button
    page.fill("#name", "Nguyễn Văn An")
    page.fill("#phone", "0901234567")
    page.check("input[name=consent]")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#clock")
    found["confirmation"] = _violations(page, axe_source)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


def test_portal_pages_have_no_serious_accessibility_violations(
    live_server, browser, make_org, make_venue, make_user, axe_source
):
    org = make_org(name="Công ty CP Du lịch Hương Giang")
    venue = make_venue(org, name="Nhà hàng Cố Đô")
    found: dict[str, list[str]] = {}
    pages = {
        Role.MANAGER: [f"/orgs/{org.id}/", f"/orgs/{org.id}/venues/{venue.id}"],
        Role.ADMIN: [
            "/admin/campaign",
            "/admin/orgs",
            "/admin/users",
            "/reports/",
            "/admin/boards",
        ],
    }
    for role, paths in pages.items():
        context = browser.new_context(locale="vi-VN")
        page = context.new_page()
        _login(
            page,
            live_server.url,
            make_user(role, org if role is Role.MANAGER else None),
        )
        for path in paths:
            page.goto(live_server.url + path)
            found[path] = _violations(page, axe_source)
        context.close()
    assert {k: v for k, v in found.items() if v} == {}
