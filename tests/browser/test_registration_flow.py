"""Issue 11's walk in a real browser: a business registers, verifies its e-mail
from the mail it received, is approved by its ward's supervisor, logs in, adds a
venue, downloads its board, and appears in the ward's and the province's
dashboards."""

from __future__ import annotations

import re
from pathlib import Path

from signage import qr

from ..helpers import PASSWORD
from ..mailserver import link_path
from ..posters.conftest import decode_pdf

EMAIL = "banhbeo@example.vn"
SECRET = "mat khau that dai 2026"


def _login(page, url: str, email: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_business_registers_and_shows_up_in_the_dashboards(
    live_server, browser, page, hue, smtp_server
):
    url = live_server.url
    ward = hue.orgs["ward_a"]
    # 1. registration, from the login page's link
    page.goto(url + "/login")
    page.click("text=Đăng ký tổ chức")
    page.fill("#name", "Quán Bánh Bèo Bà Đỏ")
    page.select_option("#kind", "business")
    page.select_option("#parent_id", str(ward.id))
    page.select_option("#ward_code", "19786")
    page.fill("#address", "8 Nguyễn Bỉnh Khiêm")
    page.fill("#tax_code", "0100233488")
    page.fill("#contact_name", "Nguyễn Thị Đỏ")
    page.fill("#contact_phone", "0905 123 456")
    page.fill("#email", EMAIL)
    page.fill("#password", SECRET)
    page.fill("#password2", SECRET)
    page.click("main button[type=submit]")
    page.wait_for_selector("#register-sent")

    # 2. the e-mailed link
    link = next(u for u in smtp_server.links_to(EMAIL) if "/register/verify/" in u)
    page.goto(url + link_path(link))
    page.click("#register-confirm button[type=submit]")
    page.wait_for_selector("#register-verified")
    assert "chờ đơn vị cấp trên duyệt" in page.inner_text("#register-verified")

    # 3. the ward's supervisor approves (the mail told them where)
    sup = browser.new_context(locale="vi-VN").new_page()
    _login(sup, url, hue.users["sup_a"].email, PASSWORD)
    waiting = next(
        u for u in smtp_server.links_to(hue.users["sup_a"].email) if "/units/" in u
    )
    sup.goto(url + link_path(waiting))
    sup.click("article:has-text('Quán Bánh Bèo Bà Đỏ') >> text=Duyệt")
    sup.wait_for_selector("text=Đã duyệt Quán Bánh Bèo Bà Đỏ")
    assert "đã được duyệt" in str(smtp_server.last_to(EMAIL)["Subject"])

    # 4. the business logs in, adds a venue, downloads its board
    _login(page, url, EMAIL, SECRET)
    page.wait_for_url(re.compile(r".*/orgs/\d+/$"))
    page.click("text=Thêm địa điểm")
    page.fill("#name", "Quầy bánh bèo")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Đã thêm địa điểm Quầy bánh bèo")
    with page.expect_download() as dl:
        page.click("a[data-size=a4]")
    from signage.venues.models import Venue

    with live_server.app.app_context():
        from signage.db import get_db

        with get_db(live_server.app).read() as s:
            venue = s.query(Venue).filter_by(name="Quầy bánh bèo").one()
            token, org_id = venue.token, venue.organisation_id
    base = live_server.app.config["PUBLIC_BASE_URL"]
    assert decode_pdf(Path(dl.value.path()).read_bytes(), 72) == [
        [qr.payload(base, token)]
    ]

    # 5. the board is up on the wall: the manager confirms it on the report page
    page.goto(f"{url}/orgs/{org_id}/")
    page.click("text=Báo cáo triển khai gửi Sở")
    page.locator(f"#venue-{venue.id} button[type=submit]").first.click()
    page.wait_for_selector("text=Đã xác nhận bảng QR đã được dán.")
    assert page.inner_text("#sys-posted") == "1"

    # 6. the ward's dashboard counts it
    sup.goto(url + "/units/")
    row = sup.locator(f"#branches tr[data-org='{org_id}']")
    assert "Quán Bánh Bèo Bà Đỏ" in row.inner_text()
    cells = row.locator("td").all_inner_texts()
    assert cells[2].strip() == "1"  # venues
    assert cells[3].startswith("1")  # with a board
    assert cells[4].startswith("1")  # confirmed posted
    # 7. and so does the province's, through the ward's line and its drill-down
    admin = browser.new_context(locale="vi-VN").new_page()
    _login(admin, url, hue.users["admin"].email, PASSWORD)
    admin.goto(url + "/units/")
    ward_row = admin.locator(f"#branches tr[data-org='{ward.id}']")
    assert ward_row.locator("td").all_inner_texts()[2].strip() == "3"  # 2 + the new one
    ward_row.locator("a").first.click()
    admin.wait_for_selector(f"#branches tr[data-org='{org_id}']")
    sup.context.close()
    admin.context.close()
