"""A manager gets the boards from the portal in a real browser: the links on the
venue and organisation pages download PDFs that scan to the venue."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

from PIL import Image

from signage import qr
from signage.accounts.models import Role

from ..helpers import PASSWORD
from ..posters.conftest import decode_pdf


def _login(page, live_server, user):
    page.goto(live_server.url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{user.organisation_id}/")


def test_manager_downloads_boards_and_bare_qr(
    live_server, page, make_org, make_venue, make_user, tmp_path
):
    org = make_org(name="Công ty CP Du lịch Hương Giang")
    venue = make_venue(org, name="Khách sạn Hương Giang – Quầy lễ tân")
    other = make_venue(org, name="Bến thuyền Tòa Khâm")
    user = make_user(Role.MANAGER, org)
    _login(page, live_server, user)
    page.screenshot(path=str(tmp_path / "org.png"), full_page=True)

    page.click("text=Tải tất cả bảng QR (PDF)")  # a job: its page, then the file
    page.wait_for_selector("#job-download:not([hidden])")
    with page.expect_download() as dl:
        page.click("#job-download-link")
    batch = decode_pdf(Path(dl.value.path()).read_bytes(), 50)
    base = live_server.app.config["PUBLIC_BASE_URL"]
    assert batch == [[qr.payload(base, other.token)], [qr.payload(base, venue.token)]]

    page.goto(f"{live_server.url}/orgs/{org.id}/")
    page.click(f"text={venue.name}")
    page.wait_for_selector("text=Bảng QR để in")
    page.screenshot(path=str(tmp_path / "venue.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("a[data-size=a4]")
    assert dl.value.suggested_filename == f"bang-qr-{venue.token}-a4.pdf"
    pages = decode_pdf(Path(dl.value.path()).read_bytes(), 72)
    assert pages == [[qr.payload(base, venue.token)]]

    page.click("text=Chỉ lấy mã QR (tự thiết kế bảng)")
    page.fill("input[name=px]", "12")
    with page.expect_download() as dl:
        page.click("text=Tải PNG")
    img = Image.open(io.BytesIO(Path(dl.value.path()).read_bytes()))
    assert img.size == (33 * 12, 33 * 12)
    if os.environ.get("SIGNAGE_KEEP_SCREENSHOTS"):
        for name in ("org.png", "venue.png"):
            shutil.copy(tmp_path / name, Path(os.environ["SIGNAGE_KEEP_SCREENSHOTS"]))
