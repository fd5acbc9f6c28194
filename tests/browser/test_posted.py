"""A manager downloads a venue's board, then confirms it posted with a photo taken on
the wall, in a real browser: the report counts it and shows the cleaned photo."""

from __future__ import annotations

import io

from PIL import Image

from signage.accounts.models import Role
from signage.reports import postings

from ..helpers import PASSWORD


def test_manager_confirms_a_board_posted_with_a_photo(
    live_server, page, session, make_org, make_venue, make_user, tmp_path
):
    org = make_org(name="Trường Tiểu học Vĩnh Ninh")
    venue = make_venue(org, name="Cổng trường")
    make_venue(org, name="Phòng giáo viên")
    user = make_user(Role.MANAGER, org)
    photo = tmp_path / "bang-tren-tuong.jpg"
    exif = Image.Exif()
    exif[0x0110] = "Phone X"
    Image.new("RGB", (2400, 1800), (240, 240, 230)).save(
        photo, "JPEG", exif=exif.tobytes()
    )

    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{org.id}/")
    page.click(f"text={venue.name}")
    with page.expect_download():
        page.click("a[data-size=a4]")

    page.goto(f"{live_server.url}/orgs/{org.id}/")
    page.click("text=Báo cáo triển khai gửi Sở")
    assert page.inner_text("#sys-produced") == "1"
    assert page.inner_text("#sys-posted") == "0"
    row = page.locator(f"#venue-{venue.id}")
    row.locator("input[name=photo]").set_input_files(str(photo))
    row.locator("button[type=submit]").first.click()
    page.wait_for_selector("text=Đã xác nhận bảng QR đã được dán.")
    assert page.inner_text("#sys-posted") == "1"
    row = page.locator(f"#venue-{venue.id}")
    assert "Đã dán" in row.locator(".posted-state").inner_text()
    img = row.locator("img")
    img.wait_for()
    # The browser shows the cleaned photo: decoded, scaled down.
    width = page.evaluate("(el) => el.naturalWidth", img.element_handle())
    assert width == 1600
    page.screenshot(path=str(tmp_path / "posted.png"), full_page=True)
    assert postings.posted_venue_counts(session, [org.id]) == {org.id: 1}

    # The manager sends the report: the system's figures go with it.
    page.fill("#staff_total", "35")
    page.fill("#staff_with_app", "30")
    page.click("text=Gửi báo cáo")
    page.wait_for_selector("text=Đã gửi báo cáo cho Sở.")
    history = page.locator("table").last.inner_text()
    assert "35" in history and "30" in history
    photo_bytes = page.request.get(
        f"{live_server.url}/reports/orgs/{org.id}/venues/{venue.id}/posted/photo.jpg"
    ).body()
    assert b"Phone X" not in photo_bytes
    assert Image.open(io.BytesIO(photo_bytes)).size == (1600, 1200)
