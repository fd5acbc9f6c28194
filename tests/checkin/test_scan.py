"""The resident's flow in the test client: scan, check in, confirm, out, feedback."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from signage.checkin.models import CheckIn, Feedback


def _rows(session, venue):
    return list(session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id)))


def test_scan_page_shows_venue_org_address_and_unticked_consent(client, make_venue):
    venue = make_venue(name="Nhà hàng Cố Đô", address="3 Lê Lợi")
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    assert "Nhà hàng Cố Đô" in page
    assert "3 Lê Lợi" in page
    assert venue.organisation.name in page
    consent = re.search(r'<input type="checkbox" name="consent"[^>]*>', page).group(0)
    assert "checked" not in consent
    assert "28 ngày" in page  # the retention notice shows RETENTION_DAYS
    assert "<script" not in page  # no JavaScript at all on the form


def test_lower_case_and_hyphenated_token_redirects_to_canonical(client, make_venue):
    venue = make_venue()
    t = venue.token.lower()
    resp = client.get(f"/C/{t[:3]}-{t[3:]}")
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith(f"/C/{venue.token}")


def test_check_in_redirects_303_to_confirmation(client, session, make_venue, check_in):
    venue = make_venue(name="Thư viện", stay_minutes=90)
    resp = check_in(client, venue, name="Trần Thị Bình", phone="+84 90 123 4567")
    assert resp.status_code == 303
    rows = _rows(session, venue)
    assert len(rows) == 1
    row = rows[0]
    assert row.phone == "+84901234567"
    assert resp.headers["Location"].endswith(f"/C/{venue.token}/ok/{row.public_ref}")
    assert len(row.public_ref) >= 16 and not row.public_ref.isdigit()
    assert (row.auto_out_at - row.checked_in_at).total_seconds() == 90 * 60
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã khai báo" in page and "Thư viện" in page and "Trần Thị Bình" in page
    assert 'id="clock"' in page and "@keyframes" in page


def test_client_time_and_venue_id_in_the_body_are_ignored(
    client, session, make_venue, check_in
):
    venue, other = make_venue(), make_venue()
    resp = check_in(
        client,
        venue,
        venue_id=str(other.id),
        checked_in_at="2001-01-01T00:00:00",
    )
    assert resp.status_code == 303
    (row,) = _rows(session, venue)
    assert row.checked_in_at.year >= 2026
    assert _rows(session, other) == []


def test_double_tap_with_same_submission_is_one_check_in(
    client, session, make_venue, scan
):
    venue = make_venue()
    _resp, hidden = scan(client, venue)
    data = {"name": "Lê Văn C", "phone": "0912345678", "consent": "y", **hidden}
    first = client.post(f"/C/{venue.token}", data=data)
    second = client.post(f"/C/{venue.token}", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(_rows(session, venue)) == 1


def test_same_phone_within_ten_minutes_returns_existing(
    client, session, make_venue, check_in
):
    venue = make_venue()
    a = check_in(client, venue, phone="0901234567")
    b = check_in(client, venue, phone="+84901234567")
    assert a.headers["Location"] == b.headers["Location"]
    assert len(_rows(session, venue)) == 1
    # Another venue is another visit.
    other = make_venue()
    check_in(client, other, phone="0901234567")
    assert len(_rows(session, other)) == 1


def test_invalid_input_keeps_typed_values_and_explains(
    client, session, make_venue, scan
):
    venue = make_venue()
    _resp, hidden = scan(client, venue)
    resp = client.post(
        f"/C/{venue.token}",
        data={"name": "Phạm Thị Dung", "phone": "09012", **hidden},
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'value="Phạm Thị Dung"' in page and 'value="09012"' in page
    assert "Số điện thoại không đúng" in page
    assert "Hãy đánh dấu đồng ý" in page
    assert _rows(session, venue) == []


def test_missing_csrf_re_renders_form_with_typed_values(client, session, make_venue):
    venue = make_venue()
    resp = client.post(
        f"/C/{venue.token}",
        data={"name": "Võ Văn E", "phone": "0901234567", "consent": "y"},
    )
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'value="Võ Văn E"' in page and "Khai báo lần nữa" in page
    assert _rows(session, venue) == []


def test_remember_me_cookie_then_one_tap(client, session, make_venue, check_in, scan):
    venue = make_venue()
    resp = check_in(client, venue, name="Hồ Thị F", phone="0987654321", remember="y")
    cookie = resp.headers.getlist("Set-Cookie")
    me = next(c for c in cookie if c.startswith("ci_me="))
    assert "HttpOnly" in me and "SameSite=Lax" in me and "Path=/C" in me
    other = make_venue()
    _resp, hidden = scan(client, other)
    page = _resp.get_data(as_text=True)
    assert "Hồ Thị F" in page and "098•••4321" in page and "0987654321" not in page
    assert "Không phải bạn?" in page
    one_tap = client.post(f"/C/{other.token}", data={**hidden, "use_saved": "1"})
    assert one_tap.status_code == 303
    (row,) = _rows(session, other)
    assert row.name == "Hồ Thị F" and row.phone == "+84987654321"
    # "Not you?" forgets.
    forget = client.post(f"/C/{other.token}/forget", data=hidden)
    assert forget.status_code == 303
    page = client.get(f"/C/{other.token}").get_data(as_text=True)
    assert "Hồ Thị F" not in page


def test_no_cookie_without_opt_in(client, make_venue, check_in):
    resp = check_in(client, make_venue())
    assert not any(c.startswith("ci_me=") for c in resp.headers.getlist("Set-Cookie"))


def test_forged_remember_cookie_is_ignored(client, make_venue):
    venue = make_venue()
    client.set_cookie("ci_me", "eyJuIjoiWCIsInAiOiIrODQ5MDEyMzQ1NjcifQ.bad", path="/C")
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    assert 'name="name"' in page and "use_saved" not in page


def test_check_out_and_feedback(client, session, make_venue, check_in):
    venue = make_venue()
    loc = check_in(client, venue).headers["Location"]
    page = client.get(loc).get_data(as_text=True)
    hidden = {"csrf_token": form_fields_csrf(page)}
    out = client.post(loc + "/out", data=hidden)
    assert out.status_code == 303
    (row,) = _rows(session, venue)
    assert row.checked_out_at is not None
    assert "Đã rời địa điểm" in client.get(loc).get_data(as_text=True)
    fb = client.post(
        loc + "/feedback",
        data={**hidden, "category": "hygiene", "message": "Thiếu nước rửa tay"},
    )
    assert fb.status_code == 303 and "fb=1" in fb.headers["Location"]
    stored = session.scalars(select(Feedback)).one()
    assert stored.message == "Thiếu nước rửa tay" and stored.venue_id == venue.id
    too_long = client.post(
        loc + "/feedback", data={**hidden, "category": "other", "message": "x" * 1001}
    )
    assert too_long.status_code == 422
    assert "tối đa 1000 ký tự" in too_long.get_data(as_text=True)
    assert session.scalar(select(func.count(Feedback.id))) == 1


def test_stale_check_out_returns_to_confirmation(client, session, make_venue, check_in):
    venue = make_venue()
    loc = check_in(client, venue).headers["Location"]
    resp = client.post(loc + "/out", data={"csrf_token": "stale"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(loc)
    (row,) = _rows(session, venue)
    assert row.checked_out_at is None


def form_fields_csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_confirmation_of_another_venue_is_404(client, make_venue, check_in):
    venue, other = make_venue(), make_venue()
    loc = check_in(client, venue).headers["Location"]
    ref = loc.rsplit("/", 1)[1]
    assert client.get(f"/C/{other.token}/ok/{ref}").status_code == 404
    assert client.get(f"/C/{venue.token}/ok/nope").status_code == 404


def test_unknown_rotated_and_inactive(client, session, make_venue):
    from signage.venues import services as venues

    venue = make_venue()
    assert client.get("/C/ZZZZZZZZZZ").status_code == 404
    assert "Không tìm thấy mã" in client.get("/C/ZZZZZZZZZZ").get_data(as_text=True)
    old = venue.token
    venues.rotate_token(session, venue)
    resp = client.get(f"/C/{old}")
    assert resp.status_code == 410 and "thay thế" in resp.get_data(as_text=True)
    venues.set_active(session, venue, False)
    resp = client.get(f"/C/{venue.token}")
    assert resp.status_code == 410 and "tạm ngừng" in resp.get_data(as_text=True)


def test_post_to_rotated_or_inactive_board_records_nothing(
    client, session, make_venue, scan
):
    from signage.venues import services as venues

    venue = make_venue()
    _r, hidden = scan(client, venue)
    data = {"name": "Ngô Văn H", "phone": "0901234567", "consent": "y", **hidden}
    old = venue.token
    venues.rotate_token(session, venue)
    assert client.post(f"/C/{old}", data=data).status_code == 410
    venues.set_active(session, venue, False)
    assert client.post(f"/C/{venue.token}", data=data).status_code == 410
    assert client.post("/C/ZZZZZZZZZZ", data=data).status_code == 404
    assert _rows(session, venue) == []


def test_page_weight_under_30_kb(client, make_venue, check_in):
    venue = make_venue()
    scan_page = client.get(f"/C/{venue.token}").get_data()
    loc = check_in(client, venue).headers["Location"]
    confirm = client.get(loc).get_data()
    # Everything is inline (CSS, the confirmation's clock): no other request is made.
    # The clock runs under the Content-Security-Policy by the hash of its exact text
    # (tests/core/test_request_hooks.py), so it is the static file's text verbatim.
    clock = (Path(client.application.static_folder) / "js/clock.js").read_bytes()
    for body in (scan_page, confirm):
        assert b'rel="stylesheet"' not in body and b"<script src" not in body
        assert len(body) < 30 * 1024, len(body)
    assert b"<script" not in scan_page
    assert re.findall(rb"<script>(.*?)</script>", confirm, re.S) == [clock]
    print(f"scan page {len(scan_page)} bytes, confirmation {len(confirm)} bytes")
