"""A resident makes a card on a phone; staff scan it with a handheld scanner (which
types the code and presses Enter) on the venue's scan page."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

from signage.accounts.models import Role

from ..helpers import PASSWORD


def test_card_made_on_a_phone_is_scanned_at_the_door(
    live_server, phone_page, page, make_org, make_venue, make_user, tmp_path
):
    phone = phone_page
    phone.goto(live_server.url + "/the")
    phone.fill("#name", "Nguyễn Thị Hoa")
    phone.fill("#phone", "0905 111 222")
    phone.check("input[name=consent]")
    phone.click("button[type=submit]")
    phone.wait_for_selector(".qr svg")
    assert phone.inner_text(".holder") == "Nguyễn Thị Hoa"
    phone.screenshot(path=str(tmp_path / "card.png"), full_page=True)
    shot = Image.open(io.BytesIO(phone.locator(".qr").screenshot()))
    payload = [r.text for r in zxingcpp.read_barcodes(shot)]
    assert len(payload) == 1 and "/P/" in payload[0]

    org = make_org(name="Trường Tiểu học Vĩnh Ninh")
    venue = make_venue(org, name="Cổng trường")
    user = make_user(Role.MANAGER, org)
    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{org.id}/")
    page.goto(f"{live_server.url}/orgs/{org.id}/venues/{venue.id}/scan")
    # The field has focus; a handheld scanner types like a keyboard and ends with Enter.
    page.keyboard.type(payload[0])
    page.keyboard.press("Enter")
    page.wait_for_selector(".scan-ok")
    assert "Nguyễn Thị Hoa" in page.inner_text(".scan-ok")
    assert page.evaluate("document.activeElement.id") == "code"  # ready for the next
