"""A family on one small phone with JavaScript off (360×740): the mother adds her
two children with "Thêm người đi cùng", checks the three of them in in one submit,
and the confirmation lists them; nothing is wider than the screen. The link opened
in another browser shows initials and no check-out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from signage.checkin.models import CheckIn

SMALL_PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "java_script_enabled": False,
}


@pytest.fixture
def no_js_phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **SMALL_PHONE
    )
    yield context.new_page()
    context.close()


def _fits(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page is {width}px wide on a 360px screen"


def test_group_checks_in_on_a_small_phone_without_javascript(
    live_server, no_js_phone, browser, session, make_venue
):
    venue = make_venue(name="Nhà văn hoá phường")
    page = no_js_phone
    page.goto(f"{live_server.url}/C/{venue.token}")
    page.fill("#name", "Lê Thị Mẹ")
    page.fill("#phone", "0905123456")
    page.click("text=+ Thêm người đi cùng")
    page.fill("#cn1", "Lê Bé Một")
    page.click("text=+ Thêm người đi cùng")
    _fits(page)
    assert page.input_value("#name") == "Lê Thị Mẹ"  # kept through the round trip
    assert page.input_value("#cn1") == "Lê Bé Một"
    page.fill("#cn2", "Lê Bé Hai")
    page.check("input[name=consent]")
    page.click("button.btn:has-text('Khai báo')")
    page.wait_for_url("**/ok/**")
    _fits(page)
    body = page.inner_text("body")
    for name in ("Lê Thị Mẹ", "Lê Bé Một", "Lê Bé Hai"):
        assert name in body
    assert page.locator("button:has-text('check-out')").count() == 1
    rows = session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id)).all()
    assert sorted((r.name, r.phone) for r in rows) == [
        ("Lê Bé Hai", "+84905123456"),
        ("Lê Bé Một", "+84905123456"),
        ("Lê Thị Mẹ", "+84905123456"),
    ]

    elsewhere = browser.new_context(locale="vi-VN").new_page()
    elsewhere.goto(page.url)
    other = elsewhere.inner_text("body")
    assert "Lê Thị Mẹ" not in other and "L. T. M." in other
    assert elsewhere.locator("button:has-text('check-out')").count() == 0
    elsewhere.context.close()
