"""A resident's phone, end to end: decode the board's QR, check in, see the
confirmation, check out; then the manager finds the visit and exports it."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno
import zxingcpp
from babel.dates import format_date
from PIL import Image
from sqlalchemy import select

from signage.accounts.models import Role
from signage.checkin.models import CheckIn

from ..helpers import PASSWORD
from ..live import LiveServer, free_port

PORT = free_port()
SHOTS = (
    Path(os.environ.get("SIGNAGE_SHOTS", ""))
    if os.environ.get("SIGNAGE_SHOTS")
    else None
)


@pytest.fixture
def config_overrides():
    # The board's URL must reach this live server, so the base URL names its port.
    return {"PUBLIC_BASE_URL": f"http://127.0.0.1:{PORT}"}


@pytest.fixture
def live_server(app) -> Iterator[LiveServer]:
    server = LiveServer(app, port=PORT).start()
    yield server
    server.stop()


def _scan_board(base_url: str, token: str, tmp_path: Path) -> str:
    """Encode the board's payload as the design says, render it, decode it back."""
    payload = f"{base_url}/C/{token}".upper()
    qr = segno.make_qr(payload, error="m")
    assert qr.mode == "alphanumeric"
    png = tmp_path / "board.png"
    qr.save(png, scale=8, border=4)
    (result,) = zxingcpp.read_barcodes(Image.open(png))
    return result.text


def _shot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str((SHOTS or tmp_path) / name), full_page=True)


def test_phone_checks_in_and_manager_exports(
    live_server, app, browser, phone_page, session, make_venue, make_user, tmp_path
):
    venue = make_venue(name="Nhà hàng Cố Đô", address="51 Lê Lợi", stay_minutes=45)
    url = _scan_board(app.config["PUBLIC_BASE_URL"], venue.token, tmp_path)
    assert url == f"HTTP://127.0.0.1:{PORT}/C/{venue.token}"

    sizes: list[int] = []
    phone_page.on("response", lambda r: sizes.append(len(r.body())))
    phone_page.goto(url)
    assert "Nhà hàng Cố Đô" in phone_page.inner_text("h1")
    assert sum(sizes) < 30 * 1024, sizes  # everything the page loads
    assert not phone_page.is_checked("input[name=consent]")
    _shot(phone_page, "checkin-scan.png", tmp_path)

    phone_page.fill("#name", "H'Hen Niê")
    phone_page.fill("#phone", "090 123 4567")
    phone_page.click("button.btn")
    assert phone_page.locator("text=Hãy đánh dấu đồng ý").is_visible()
    assert phone_page.input_value("#name") == "H'Hen Niê"  # kept as typed
    phone_page.check("input[name=consent]")
    phone_page.check("input[name=remember]")
    phone_page.click("button.btn")
    phone_page.wait_for_url("**/ok/**")
    assert "Đã khai báo" in phone_page.inner_text(".ok h1")
    assert "Nhà hàng Cố Đô" in phone_page.inner_text(".ok")
    first = phone_page.inner_text("#clock")
    phone_page.wait_for_timeout(1100)
    assert phone_page.inner_text("#clock") != first  # a live clock, not a screenshot
    animation = phone_page.eval_on_selector(
        ".ok .bar", "e => getComputedStyle(e).animationName"
    )
    assert animation == "slide"
    _shot(phone_page, "checkin-ok.png", tmp_path)

    # Back at the board: remembered, one tap, same visit (within 10 minutes).
    phone_page.goto(url)
    assert "H'Hen Niê" in phone_page.inner_text(".who")
    _shot(phone_page, "checkin-remembered.png", tmp_path)
    phone_page.click("form.saved button")
    phone_page.wait_for_url("**/ok/**")
    phone_page.click("button.out")
    phone_page.wait_for_selector(".ok.out")
    (row,) = session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id)).all()
    assert row.phone == "+84901234567" and row.checked_out_at is not None

    manager = make_user(Role.MANAGER, venue.organisation)
    desk = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = desk.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#email", manager.email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/orgs/**")
    page.goto(f"{live_server.url}/orgs/{venue.organisation_id}/venues/{venue.id}")
    page.click("text=Nhật ký khai báo, phản hồi, tải về")
    assert "H'Hen Niê" in page.inner_text("table.log")
    assert "090•••4567" in page.inner_text("table.log")
    _shot(page, "checkin-log.png", tmp_path)
    page.click("text=Tải CSV")  # an export asks why first, like a reveal
    page.fill("#reason", "Báo cáo lượt khách cho Sở")
    with page.expect_download() as dl:
        page.click("main button[type=submit]")
    text = Path(dl.value.path()).read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[1][3:] == ["Nhà hàng Cố Đô", "H'Hen Niê", "0901234567"]
    assert rows[1][2] == "Bấm nút ra"
    desk.close()


def test_the_live_clock_writes_a_new_day_in_the_page_language(
    live_server, app, phone_page, make_venue
):
    venue = make_venue(name="Chợ Đông Ba")
    base = app.config["PUBLIC_BASE_URL"]
    phone_page.context.add_cookies([{"name": "lang", "value": "en", "url": base}])
    phone_page.clock.install()
    phone_page.goto(f"{base}/C/{venue.token}")
    phone_page.fill("#name", "Lê Thị Hoa")
    phone_page.fill("#phone", "0912345678")
    phone_page.check("input[name=consent]")
    phone_page.click("button.btn")
    phone_page.wait_for_url("**/ok/**")
    # The page's own idea of local time: the server's instant plus the zone offset.
    now, offset = (
        int(phone_page.get_attribute("#clock", f"data-{k}")) for k in ("now", "offset")
    )
    day_ms = 86_400_000
    to_midnight = day_ms - (now + offset) % day_ms
    today = datetime.fromtimestamp((now + offset) / 1000, UTC).date()
    assert phone_page.inner_text("#date") == format_date(today, "medium", locale="en")
    phone_page.clock.run_for(to_midnight + 2000)
    tomorrow = today + timedelta(days=1)
    assert phone_page.inner_text("#date") == format_date(
        tomorrow, "medium", locale="en"
    )
