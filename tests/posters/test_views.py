"""Portal downloads: permissions, the download log, and a printed board that scans
to its venue's page."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pypdfium2 as pdfium
import pytest
from PIL import Image
from sqlalchemy import func, select

from signage import qr
from signage.accounts.models import Role
from signage.posters.models import BoardDownload
from signage.venues import services as venues

from ..helpers import job_result, login, post_form, start_org_batch
from .conftest import decode_pdf

BASE = "https://qr.example.vn"


@pytest.fixture
def owner_world(make_org, make_venue, make_user):
    org = make_org(name="Công ty CP Du lịch Hương Giang")
    venue = make_venue(org, name="Nhà hàng Cố Đô")
    return org, venue, make_user(Role.MANAGER, org)


def _board_url(org, venue, size="a4", **extra):
    query = "&".join([f"size={size}", *(f"{k}={v}" for k, v in extra.items())])
    return f"/orgs/{org.id}/venues/{venue.id}/board.pdf?{query}"


def _downloads(session, **where):
    q = select(func.count(BoardDownload.id))
    for key, value in where.items():
        q = q.where(getattr(BoardDownload, key) == value)
    return session.scalar(q)


@pytest.mark.parametrize("size", ["a4", "a3", "a5"])
def test_board_scans_to_the_venue_page_in_any_case(client, session, owner_world, size):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(_board_url(org, venue, size))
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.headers["Content-Disposition"].startswith("inline")
    texts = decode_pdf(resp.data, 72)[0]
    assert set(texts) == {qr.payload(BASE, venue.token)}
    url = urlsplit(texts[0])
    assert url.netloc.lower() == "qr.example.vn"
    resident = client.application.test_client()
    for path in (url.path, f"/C/{venue.token.lower()}"):
        page = resident.get(path, follow_redirects=True)
        assert page.status_code == 200, path
        assert "Nhà hàng Cố Đô" in page.get_data(as_text=True)
    assert _downloads(session, venue_id=venue.id, size=size, user_id=user.id) == 1
    assert _downloads(session, organisation_id=org.id) == 1


def test_download_flag_makes_an_attachment(client, owner_world):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(_board_url(org, venue, "a3", download=1))
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in resp.headers["Cache-Control"]


@pytest.mark.parametrize("size", ["a6", "", "A4'--", "letter"])
def test_bad_size_is_422_and_logs_nothing(client, session, owner_world, size):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(_board_url(org, venue, size))
    assert resp.status_code == 422
    assert "Khổ bảng không hợp lệ" in resp.get_data(as_text=True)
    assert _downloads(session) == 0


def test_admin_may_download_and_other_manager_may_not(
    client, session, owner_world, make_org, make_user
):
    org, venue, _owner = owner_world
    admin = make_user(Role.ADMIN)
    other = make_user(Role.MANAGER, make_org())
    login(client, other)
    for url in (
        _board_url(org, venue),
        f"/orgs/{org.id}/venues/{venue.id}/qr.png",
        f"/orgs/{org.id}/venues/{venue.id}/qr.svg",
    ):
        assert client.get(url).status_code == 404, url
    own_home = f"/orgs/{other.organisation_id}/"  # a page of its own, for a CSRF token
    batch = post_form(client, f"/orgs/{org.id}/boards.pdf", {"size": "a4"}, own_home)
    assert batch.status_code == 404
    assert _downloads(session) == 0
    admin_client = client.application.test_client()
    login(admin_client, admin)
    assert admin_client.get(_board_url(org, venue)).status_code == 200
    assert _downloads(session, user_id=admin.id) == 1


def test_another_orgs_venue_under_my_org_id_is_404(
    client, session, owner_world, make_venue
):
    org, _venue, user = owner_world
    foreign = make_venue()
    login(client, user)
    resp = client.get(f"/orgs/{org.id}/venues/{foreign.id}/board.pdf")
    assert resp.status_code == 404
    assert client.get(f"/orgs/{org.id}/venues/{foreign.id}/qr.png").status_code == 404
    assert _downloads(session) == 0


def test_anonymous_goes_to_login(client, owner_world):
    org, venue, _user = owner_world
    resp = client.get(_board_url(org, venue))
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_org_batch_is_one_page_per_active_venue_and_logs_each(
    client, session, owner_world, make_venue
):
    org, venue, user = owner_world
    second = make_venue(org, name="Bến thuyền Tòa Khâm")
    paused = make_venue(org, name="Kho cũ")
    venues.set_active(session, paused, False)
    session.commit()
    login(client, user)
    resp = job_result(client, start_org_batch(client, org.id, "a5"))
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"].startswith("attachment")
    data = resp.data
    resp.close()
    pages = decode_pdf(data, 50)
    # Ordered by name: "Bến thuyền..." before "Nhà hàng...".
    assert pages == [
        [qr.payload(BASE, second.token)] * 2,
        [qr.payload(BASE, venue.token)] * 2,
    ]
    assert _downloads(session, batch=True, size="a5") == 2
    assert _downloads(session, venue_id=paused.id) == 0


def test_org_batch_without_active_venues_explains_instead_of_an_empty_file(
    client, session, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    resp = start_org_batch(client, org.id)
    assert resp.status_code == 302
    resp = client.get(resp.headers["Location"])
    assert resp.status_code == 200
    assert "chưa có địa điểm nào đang dùng" in resp.get_data(as_text=True)
    assert _downloads(session) == 0


@pytest.mark.parametrize("px", [1, 8, 40])
def test_bare_png_has_whole_pixels_per_module(client, session, owner_world, px):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(f"/orgs/{org.id}/venues/{venue.id}/qr.png?px={px}")
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    img = Image.open(io.BytesIO(resp.data))
    assert img.size == (33 * px, 33 * px)
    assert _downloads(session, size="png") == 1


@pytest.mark.parametrize("px", ["0", "41", "-3", "abc", "2.5", "1e3", ""])
def test_bad_pixel_size_is_422(client, session, owner_world, px):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(f"/orgs/{org.id}/venues/{venue.id}/qr.png?px={px}")
    assert resp.status_code == 422
    assert _downloads(session) == 0


def test_bare_svg(client, session, owner_world):
    org, venue, user = owner_world
    login(client, user)
    resp = client.get(f"/orgs/{org.id}/venues/{venue.id}/qr.svg")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    assert resp.data.startswith(b"<?xml")
    assert _downloads(session, size="svg") == 1


def test_venue_and_org_pages_link_to_the_boards(client, owner_world):
    org, venue, user = owner_world
    login(client, user)
    page = client.get(f"/orgs/{org.id}/venues/{venue.id}").get_data(as_text=True)
    for size in ("a4", "a3", "a5"):
        assert f"board.pdf?size={size}" in page
    assert "qr.png" in page and "qr.svg" in page
    home = client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    assert f"/orgs/{org.id}/boards.pdf" in home


def test_board_panel_speaks_english(client, owner_world):
    org, venue, user = owner_world
    login(client, user)
    client.set_cookie("lang", "en")
    page = client.get(f"/orgs/{org.id}/venues/{venue.id}").get_data(as_text=True)
    assert "Printable QR boards" in page and "Download PDF" in page
    resp = client.get(f"/orgs/{org.id}/venues/{venue.id}/qr.png?px=99")
    assert resp.status_code == 422
    assert "Pixels per module must be a whole number" in resp.get_data(as_text=True)


def test_the_printed_short_url_and_grouped_token_reach_the_venue(client, owner_world):
    org, venue, user = owner_world
    login(client, user)
    doc = pdfium.PdfDocument(client.get(_board_url(org, venue)).data)
    text = " ".join(doc[0].get_textpage().get_text_range().split())
    doc.close()
    grouped = f"{venue.token[:3]}-{venue.token[3:6]}-{venue.token[6:]}"
    assert "qr.example.vn/C" in text and grouped in text
    typed = client.application.test_client().get(
        f"/C?t={grouped.lower()}", follow_redirects=True
    )
    assert typed.status_code == 200
    assert "Nhà hàng Cố Đô" in typed.get_data(as_text=True)
