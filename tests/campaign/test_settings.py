"""The province sets the campaign's identity in the portal; boards and the public
pages follow it, and production refuses to print a placeholder."""

from __future__ import annotations

import base64
import io
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import text

from signage.accounts.models import Role
from signage.campaign import current
from signage.campaign import services as campaign

from ..helpers import csrf_token, login

HUE = {
    "authority": "UBND tỉnh Thừa Thiên Huế",
    "title": "KHAI BÁO Y TẾ – PHẢN HỒI",
    "color": "#0b5394",
    "accent": "#b3261e",
    "app_name": "Hue-S",
    "app_url": "https://hues.thuathienhue.gov.vn/tai-ung-dung",
    "alt_staff": "Không có điện thoại thông minh? Nhân viên tại quầy khai báo giúp bạn",
    "hotline": "0234 1022",
    "zalo": "Hue-S Thừa Thiên Huế",
    "english": "Scan to check in – no app needed",
    "privacy": "Tôi đồng ý cung cấp thông tin trên để phòng, chống dịch COVID-19.",
    "privacy_en": "I agree to give these details for COVID-19 prevention.",
    "retention": "Chỉ dùng để truy vết dịch, xoá sau {days} ngày.",
    "retention_en": "Used for contact tracing only, deleted after {days} days.",
    "deadline": "2026-12-31",
}


def _png(color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def admin(client, make_user):
    login(client, make_user(Role.ADMIN))
    return client


def _save(client, data, logo: bytes | None = None):
    body = {**data, "csrf_token": csrf_token(client, "/admin/campaign")}
    if logo is not None:
        body["logo"] = (io.BytesIO(logo), "logo.png")
    return client.post("/admin/campaign", data=body, content_type="multipart/form-data")


def _board_text(client, org, venue) -> str:
    resp = client.get(f"/orgs/{org.id}/venues/{venue.id}/board.pdf?size=a4")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    doc = pdfium.PdfDocument(resp.data)
    text = " ".join(doc[0].get_textpage().get_text_range().split())
    doc.close()
    return text


def test_saved_settings_reach_the_board_and_the_scan_page(admin, session, make_venue):
    resp = _save(admin, HUE, logo=_png())
    assert resp.status_code == 303
    identity = current(session)
    assert identity.authority == HUE["authority"] and identity.logo_key
    assert identity.missing() == []
    venue = make_venue(name="Khách sạn Hương Giang")
    from signage.accounts.models import Organisation

    org = session.get(Organisation, venue.organisation_id)
    text = _board_text(admin, org, venue)
    for expected in ("UBND TỈNH THỪA THIÊN HUẾ", HUE["title"], "Hue-S", "0234 1022"):
        assert expected in text
    page = admin.get(f"/C/{venue.token}").get_data(as_text=True)
    assert HUE["authority"] in page and HUE["privacy"] in page
    assert "xoá sau 28 ngày" in page
    assert "phòng, chống dịch" not in page.replace(HUE["privacy"], "")


def test_the_settings_page_previews_without_saving(admin, session):
    page = admin.get("/admin/campaign").get_data(as_text=True)
    assert 'formtarget="board-preview"' in page
    assert 'srcdoc="&lt;!doctype html&gt;' in page and "preview.png?size=a4" in page
    saved = admin.get("/admin/campaign/preview.png?size=a5")
    assert saved.status_code == 200 and saved.mimetype == "image/png"
    assert saved.headers["X-Frame-Options"] == "SAMEORIGIN"
    data = {**HUE, "csrf_token": csrf_token(admin, "/admin/campaign"), "size": "a4"}
    resp = admin.post("/admin/campaign/preview", data=data)
    # Into the frame: a page with the board image and its text alternative.
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    frame = resp.get_data(as_text=True)
    assert 'alt="Bảng mẫu khổ A4' in frame
    png = frame.split('src="data:image/png;base64,', 1)[1].split('"', 1)[0]
    image = Image.open(io.BytesIO(base64.b64decode(png)))
    assert image.width == 620 and abs(image.height / image.width - 297 / 210) < 0.01
    assert current(session).authority == campaign.PLACEHOLDER_AUTHORITY


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("color", "#ffff00"),  # white on yellow: unreadable
        ("accent", "blue"),
        ("app_url", "javascript:alert(1)"),
        ("hotline", "call us"),
        ("retention", "Xoá sau 28 ngày."),  # the day count must follow the setting
        ("authority", "UBND 😀"),  # the board's font has no such glyph
        ("deadline", "31/12/2026"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_nothing_stored(
    admin, session, field, value
):
    resp = _save(admin, {**HUE, field: value})
    assert resp.status_code == 422
    assert 'aria-invalid="true"' in resp.get_data(as_text=True)
    assert current(session).authority == campaign.PLACEHOLDER_AUTHORITY


def test_a_file_that_is_not_an_image_is_refused_as_logo(admin, session):
    resp = _save(admin, HUE, logo=b"%PDF-1.4 not an image")
    assert resp.status_code == 422
    assert current(session).logo_key is None


@pytest.fixture
def production(app):
    app.config["ENV"] = "production"
    return app


def test_production_refuses_boards_while_a_placeholder_is_in_force(
    production, admin, make_venue, session
):
    venue = make_venue()
    from signage.accounts.models import Organisation

    org = session.get(Organisation, venue.organisation_id)
    url = f"/orgs/{org.id}/venues/{venue.id}/board.pdf"
    refused = admin.get(url)
    assert refused.status_code == 422
    message = refused.get_data(as_text=True)
    assert "/admin/campaign" in message and "Cơ quan chủ trì" in message
    assert _save(admin, HUE, logo=_png()).status_code == 303
    assert admin.get(url).status_code == 200


def test_the_confirmation_offers_the_city_app(admin, session, make_venue):
    _save(admin, HUE, logo=_png())
    venue = make_venue()
    public = admin.application.test_client()
    page = public.get(f"/C/{venue.token}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    resp = public.post(
        f"/C/{venue.token}",
        data={
            "name": "Nguyễn Văn An",
            "phone": "0901234567",
            "consent": "y",
            "csrf_token": token,
        },
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert resp.status_code == 303, resp.get_data(as_text=True)[:300]
    done = public.get(resp.headers["Location"]).get_data(as_text=True)
    assert HUE["app_url"] in done and "Hue-S" in done


def test_the_deadline_saved_in_settings_shows_on_the_report(admin):
    assert _save(admin, {**HUE, "deadline": "2021-09-30"}).status_code == 303
    assert "đã quá" in admin.get("/reports/").get_data(as_text=True)


def test_a_long_base_url_is_warned_about_on_the_settings_page(app, admin):
    assert "phiên bản" not in admin.get("/admin/campaign").get_data(as_text=True)
    # Version 8, the posted boards' own, holds base URLs of up to 144 characters.
    app.config["PUBLIC_BASE_URL"] = "https://khaibao-phanhoi.thuathienhue.gov.vn"
    assert "phiên bản" not in admin.get("/admin/campaign").get_data(as_text=True)
    app.config["PUBLIC_BASE_URL"] = "https://" + "phanhoi-" * 17 + "hue.gov.vn"
    page = admin.get("/admin/campaign").get_data(as_text=True)
    assert "phiên bản 9" in page and "tối đa 144 ký tự" in page


def test_the_demo_tells_the_truth(app, session):
    from signage import demo
    from signage.accounts import services as accounts
    from signage.screens import demo as screens_demo

    demo.load(session, accounts.HashPolicy(1, 1024), 46)
    identity = current(session)
    assert identity.authority == "UBND tỉnh Thừa Thiên Huế"
    assert identity.app_name == "Hue-S" and identity.missing() == ["Logo"]
    loop = screens_demo.load(session, "https://qr.example.vn")
    bodies = " ".join(s.body for s in loop.slides)
    assert (
        "Khẩu trang – Khử khuẩn – Khoảng cách – Không tập trung – Khai báo y tế"
        in bodies
    )
    assert "chạy" not in bodies


def test_pages_read_the_settings_once_and_a_save_shows_at_once(app, admin, make_venue):
    from signage import caches

    reads = []
    with app.test_request_context("/"):
        caches.forget_campaign()
        for _ in range(3):
            caches.campaign(lambda: reads.append(1) or len(reads))
        caches.forget_campaign()
    assert reads == [1]
    venue = make_venue()
    assert campaign.PLACEHOLDER_AUTHORITY in admin.get(f"/C/{venue.token}").get_data(
        as_text=True
    )
    _save(admin, HUE, logo=_png())
    assert HUE["authority"] in admin.get(f"/C/{venue.token}").get_data(as_text=True)


def test_an_edit_from_another_process_reaches_kept_scan_pages_in_time(
    client, session, make_venue, monkeypatch
):
    """A worker that did not save the edit keeps its scan pages, header included,
    for at most CAMPAIGN_SECONDS (caches.scan_page), then draws them anew."""
    from signage import caches

    now = [0.0]
    monkeypatch.setattr(caches, "clock", lambda: now[0])
    venue = make_venue()
    assert campaign.PLACEHOLDER_AUTHORITY in client.get(f"/C/{venue.token}").text
    # Saved by another worker: this one's caches are not told.
    base = {name: "" for name in campaign.FORM_FIELDS}
    campaign.save(session, campaign.clean({**base, "authority": HUE["authority"]}))
    session.commit()
    now[0] = caches.CAMPAIGN_SECONDS - 1
    page = client.get(f"/C/{venue.token}").text
    assert campaign.PLACEHOLDER_AUTHORITY in page and HUE["authority"] not in page
    now[0] = caches.CAMPAIGN_SECONDS + 1
    page = client.get(f"/C/{venue.token}").text
    assert HUE["authority"] in page and campaign.PLACEHOLDER_AUTHORITY not in page


def test_the_public_header_gets_a_small_logo(client):
    """The scan page's header loads the logo at 72 px (a few kB), not the board's."""
    import io as _io

    from PIL import Image

    resp = client.get("/campaign/logo")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert len(resp.data) < 8 * 1024, len(resp.data)
    with Image.open(_io.BytesIO(resp.data)) as im:
        assert max(im.size) == 72


def test_a_mail_drawn_outside_a_request_reads_the_saved_identity_at_once(app, session):
    """A job or command renders mails while holding its own write Session: the
    identity the templates get is the saved one, read without waiting on that lock
    (it used to wait SQLite's 15 s busy timeout, then fall back to the default)."""
    import time

    from signage.campaign.pages import identity
    from signage.db import get_db

    campaign.save(session, {"authority": HUE["authority"]})
    session.commit()
    with app.app_context(), get_db(app).write() as s:
        s.execute(text("SELECT 1"))  # the write transaction is open: lock held
        started = time.monotonic()
        got = identity()
        took = time.monotonic() - started
        s.commit()
    assert got.authority == HUE["authority"]
    assert took < 5, took


def test_refusals_read_in_the_admins_language_with_what_was_wrong(admin):
    arabic = {**HUE, "authority": "بلدية هوي"}
    page = _save(admin, arabic).get_data(as_text=True)
    assert "Phông chữ của bảng không in được: " in page and "ب" in page
    admin.get("/lang/en?next=/admin/campaign")
    page = _save(admin, arabic).get_data(as_text=True)
    assert "The board&#39;s font cannot print: " in page and "ب" in page
    page = _save(admin, {**HUE, "color": "#ffff00"}).get_data(as_text=True)
    assert "white text on this colour is hard to read" in page
    page = _save(admin, {**HUE, "title": "X" * 500}).get_data(as_text=True)
    assert "At most " in page and " characters." in page


def test_the_campaign_start_is_saved_and_must_come_before_the_deadline(admin, session):
    page = _save(admin, {**HUE, "start": "2027-01-05"}).get_data(as_text=True)
    assert "Ngày bắt đầu phải trước hạn hoàn thành." in page
    assert _save(admin, {**HUE, "start": "2026-11-01"}).status_code == 303
    assert current(session).start == date(2026, 11, 1)
    assert 'value="2026-11-01"' in admin.get("/admin/campaign").get_data(as_text=True)
