"""The scan form's session-free protection against forged check-ins, and the POST's
reuse of a recently read venue."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock

from flask import Response
from sqlalchemy import select

from signage.checkin import formtoken
from signage.checkin.models import CheckIn
from signage.venues import services as venues


def _rows(session, venue):
    return list(session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id)))


def _form(client, venue, **extra):
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sub = re.search(r'name="submission_id" value="([^"]+)"', page).group(1)
    return {
        "csrf_token": token,
        "submission_id": sub,
        "name": "Lê Thị Hoa",
        "phone": "0912345678",
        "consent": "y",
        **extra,
    }


def test_scan_page_gives_a_key_cookie_and_no_session(client, make_venue):
    venue = make_venue()
    resp = client.get(f"/C/{venue.token}")
    cookies = resp.headers.getlist("Set-Cookie")
    assert len(cookies) == 1, cookies  # no Flask session for a resident
    key = cookies[0]
    assert key.startswith(formtoken.COOKIE + "=")
    assert "HttpOnly" in key and "SameSite=Lax" in key and "Path=/C" in key
    assert "Expires" not in key and "Max-Age" not in key  # gone with the browser
    # A second scan in the same browser keeps the key (and still sets no session).
    again = client.get(f"/C/{venue.token}")
    assert again.headers.getlist("Set-Cookie") == []


def test_key_cookie_is_the_header_set_cookie_would_write(app, make_venue):
    """The key cookie's header is cut once from Werkzeug's (formtoken._cookie): the
    very bytes Response.set_cookie writes for that key, over HTTP and HTTPS."""
    venue = make_venue()
    for secure in (False, True):
        app.config["SESSION_COOKIE_SECURE"] = secure
        header = app.test_client().get(f"/C/{venue.token}").headers["Set-Cookie"]
        key = header.split(";", 1)[0].split("=", 1)[1]
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", key)
        expected = Response()
        expected.set_cookie(
            formtoken.COOKIE,
            key,
            path="/C",
            httponly=True,
            samesite="Lax",
            secure=secure,
        )
        assert header == expected.headers["Set-Cookie"]
        assert ("Secure" in header) is secure


def test_token_of_another_browser_is_refused(app, client, session, make_venue):
    venue = make_venue()
    data = _form(client, venue)
    other = app.test_client()
    other.get(f"/C/{venue.token}")  # a browser of its own, with its own key
    resp = other.post(f"/C/{venue.token}", data=data)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "Khai báo lần nữa" in page and 'value="Lê Thị Hoa"' in page
    assert _rows(session, venue) == []
    # The page it gets back carries a token that does work in that browser.
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = other.post(f"/C/{venue.token}", data={**data, "csrf_token": fresh})
    assert ok.status_code == 303 and len(_rows(session, venue)) == 1


def test_tampered_or_malformed_tokens_are_refused(client, session, make_venue):
    venue = make_venue()
    data = _form(client, venue)
    issued, mac = data["csrf_token"].split(".")
    later = format(int(issued, 16) + 1, "x")
    for bad in (
        f"{later}.{mac}",  # another time, same signature
        f"{issued}.{mac[:-1]}A" if mac[-1] != "A" else f"{issued}.{mac[:-1]}B",
        f"{issued}.",
        "zz.zz",
        f"{issued}.{mac}é",  # not ASCII
        "",
    ):
        resp = client.post(f"/C/{venue.token}", data={**data, "csrf_token": bad})
        assert resp.status_code == 400, bad
    assert _rows(session, venue) == []


def test_expired_token_asks_to_send_again(app, client, session, make_venue):
    venue = make_venue()
    data = _form(client, venue)
    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    with mock.patch.object(
        formtoken.time, "time", return_value=time.time() + limit + 5
    ):
        resp = client.post(f"/C/{venue.token}", data=data)
    assert resp.status_code == 400
    assert "Trang đã mở quá lâu" in resp.get_data(as_text=True)
    assert _rows(session, venue) == []
    assert client.post(f"/C/{venue.token}", data=data).status_code == 303


def test_cross_site_posts_are_refused_even_with_a_valid_token(
    client, session, make_venue
):
    venue = make_venue()
    data = _form(client, venue)
    url = f"/C/{venue.token}"
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        assert client.post(url, data=data, headers=headers).status_code == 400
    assert _rows(session, venue) == []
    # What browsers send from the page itself.
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert client.post(url, data=data, headers=same).status_code == 303
    assert len(_rows(session, venue)) == 1


def test_origin_of_the_public_address_is_accepted(app, client, session, make_venue):
    venue = make_venue()
    data = _form(client, venue)
    origin = app.config["PUBLIC_BASE_URL"]
    resp = client.post(f"/C/{venue.token}", data=data, headers={"Origin": origin})
    assert resp.status_code == 303


def test_a_portal_csrf_token_is_still_accepted(client, session, make_venue):
    """A form rendered by Flask-WTF (an older scan page) keeps working."""
    venue = make_venue()
    data = _form(client, venue)
    page = client.get("/login").get_data(as_text=True)
    portal = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post(f"/C/{venue.token}", data={**data, "csrf_token": portal})
    assert resp.status_code == 303
    assert len(_rows(session, venue)) == 1


def test_forget_needs_the_token_too(client, make_venue, check_in):
    venue = make_venue()
    check_in(client, venue, remember="y")
    url = f"/C/{venue.token}/forget"
    refused = client.post(url, data={"csrf_token": "x.y"})
    # Back to the scan page, the remembered details untouched.
    assert refused.headers["Location"].endswith(f"/C/{venue.token}")
    assert "ci_me=" not in " ".join(refused.headers.getlist("Set-Cookie"))
    assert "Không phải bạn?" in client.get(f"/C/{venue.token}").get_data(as_text=True)
    token = _form(client, venue)["csrf_token"]
    done = client.post(url, data={"csrf_token": token})
    assert "ci_me=;" in " ".join(done.headers.getlist("Set-Cookie"))


# The POST reuses the venue its process read moments ago; the INSERT re-checks it.


def test_stay_length_edited_after_the_scan_is_used(client, session, make_venue):
    venue = make_venue(stay_minutes=60)
    data = _form(client, venue)  # the scan reads (and keeps) the venue
    venues.update_venue(
        session,
        venue,
        venues.VenueData(name=venue.name, address=venue.address, stay_minutes=15),
    )
    assert client.post(f"/C/{venue.token}", data=data).status_code == 303
    (row,) = _rows(session, venue)
    assert row.auto_out_at - row.checked_in_at == timedelta(minutes=15)


def test_closed_after_the_scan_records_nothing(client, session, make_venue):
    venue = make_venue()
    first = _form(client, venue)
    assert client.post(f"/C/{venue.token}", data=first).status_code == 303
    second = _form(client, venue, phone="0987654321")
    venues.set_active(session, venue, False)
    resp = client.post(f"/C/{venue.token}", data=second)
    assert resp.status_code == 410 and "tạm ngừng" in resp.get_data(as_text=True)
    assert len(_rows(session, venue)) == 1
    venues.set_active(session, venue, True)
    assert client.post(f"/C/{venue.token}", data=second).status_code == 303
    assert len(_rows(session, venue)) == 2


def test_a_browser_without_the_key_gets_one_with_the_refusal(app, session, make_venue):
    """A phone that blocked or lost the cookie: the 400 page gives it a key and a
    token that go together, so sending the form again works."""
    venue = make_venue()
    fresh = app.test_client()
    data = {"name": "Y Moan Ênuôl", "phone": "0912345678", "consent": "y"}
    resp = fresh.post(f"/C/{venue.token}", data={**data, "csrf_token": "1.x"})
    assert resp.status_code == 400
    assert any(
        c.startswith(formtoken.COOKIE + "=") for c in resp.headers.getlist("Set-Cookie")
    )
    token = re.search(
        r'name="csrf_token" value="([^"]+)"', resp.get_data(as_text=True)
    ).group(1)
    again = fresh.post(f"/C/{venue.token}", data={**data, "csrf_token": token})
    assert again.status_code == 303
    assert [r.name for r in _rows(session, venue)] == ["Y Moan Ênuôl"]
