"""One phone, several people: a family or a group checks in on one phone, each by
name, and nobody is ever shown another person's confirmation. The confirmation shows
the full name and the check-out button only in the browser that made it."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from signage.accounts.models import Role
from signage.checkin.models import CheckIn
from signage.db import utcnow

from ..helpers import csrf_token, login
from .conftest import form_fields

_ROWS = re.compile(r'name="companion_name"')


def _rows(session, venue):
    return list(
        session.scalars(
            select(CheckIn).where(CheckIn.venue_id == venue.id).order_by(CheckIn.id)
        )
    )


def test_same_phone_with_another_name_is_another_check_in(
    client, session, make_venue, check_in
):
    venue = make_venue()
    parent = check_in(client, venue, name="Trần Văn Phụ", phone="0901234567")
    child = check_in(client, venue, name="Trần Thị Con", phone="0901234567")
    assert parent.status_code == child.status_code == 303
    assert parent.headers["Location"] != child.headers["Location"]
    assert [r.name for r in _rows(session, venue)] == ["Trần Văn Phụ", "Trần Thị Con"]
    page = client.get(child.headers["Location"]).get_data(as_text=True)
    assert "Trần Thị Con" in page and "Trần Văn Phụ" not in page
    # Names that differ only by their marks are two people ("An" and "Ân").
    check_in(client, venue, name="Trần Văn Ân", phone="0901234567")
    assert len(_rows(session, venue)) == 3
    # The same person again within ten minutes is still one visit.
    again = check_in(client, venue, name="Trần Thị Con", phone="+84 90 123 4567")
    assert again.headers["Location"] == child.headers["Location"]
    assert len(_rows(session, venue)) == 3


def test_form_sent_again_with_another_name_never_shows_the_first(
    client, session, make_venue, scan
):
    """The browser's Back button keeps the hidden submission id: the same form sent
    again for someone else is a new check-in, not the first one's confirmation."""
    venue = make_venue()
    _resp, hidden = scan(client, venue)
    base = {"phone": "0912345678", "consent": "y", **hidden}
    first = client.post(f"/C/{venue.token}", data={**base, "name": "Lê Văn Một"})
    twice = client.post(f"/C/{venue.token}", data={**base, "name": "Lê Văn Một"})
    other = client.post(f"/C/{venue.token}", data={**base, "name": "Lê Thị Hai"})
    assert first.headers["Location"] == twice.headers["Location"]  # double tap
    assert other.status_code == 303
    assert other.headers["Location"] != first.headers["Location"]
    assert [r.name for r in _rows(session, venue)] == ["Lê Văn Một", "Lê Thị Hai"]
    page = client.get(other.headers["Location"]).get_data(as_text=True)
    assert "Lê Thị Hai" in page and "Lê Văn Một" not in page


def test_companions_each_get_their_own_row_and_are_found_by_tracing(
    app, client, session, make_venue, make_user, scan
):
    venue = make_venue(stay_minutes=60)
    # Adding rows works without JavaScript: a submit button brings the form back as
    # typed, with one more row each time.
    _resp, hidden = scan(client, venue)
    typed = {
        "name": "Phan Thị Mẹ",
        "phone": "0987000111",
        "consent": "y",
        **hidden,
    }
    page = client.post(
        f"/C/{venue.token}", data={**typed, "add_companion": "1"}
    ).get_data(as_text=True)
    assert len(_ROWS.findall(page)) == 1
    assert 'value="Phan Thị Mẹ"' in page and 'value="0987000111"' in page
    assert "<script" not in page
    more = client.post(
        f"/C/{venue.token}",
        data={**typed, "add_companion": "1", "companion_name": "Phan Bé Na"},
    ).get_data(as_text=True)
    assert len(_ROWS.findall(more)) == 2 and 'value="Phan Bé Na"' in more
    assert _rows(session, venue) == []  # adding a row records nothing

    group = {
        **typed,
        **form_fields(more),
        "companion_name": ["Phan Bé Na", "Phan Văn Ông", "", "Nguyễn Thị Bạn"],
        "companion_phone": ["", "", "", "0935000999"],
    }
    resp = client.post(f"/C/{venue.token}", data=group)
    assert resp.status_code == 303
    rows = _rows(session, venue)
    assert [(r.name, r.phone) for r in rows] == [
        ("Phan Thị Mẹ", "+84987000111"),
        ("Phan Bé Na", "+84987000111"),
        ("Phan Văn Ông", "+84987000111"),
        ("Nguyễn Thị Bạn", "+84935000999"),
    ]
    assert len({r.public_ref for r in rows}) == 4
    # Sent again (a double tap): still four.
    assert client.post(f"/C/{venue.token}", data=group).status_code == 303
    assert len(_rows(session, venue)) == 4
    confirmation = client.get(resp.headers["Location"]).get_data(as_text=True)
    for name in ("Phan Thị Mẹ", "Phan Bé Na", "Phan Văn Ông", "Nguyễn Thị Bạn"):
        assert name in confirmation
    # Each companion has a confirmation of their own, with its check-out here.
    na = client.get(f"/C/{venue.token}/ok/{rows[1].public_ref}").get_data(as_text=True)
    assert "Phan Bé Na" in na and "check-out" in na

    # Tracing: someone at the venue at the same time falls ill; every companion is
    # a contact of their own, not one line per phone.
    officer = app.test_client()
    login(officer, make_user(Role.HEALTH))
    case = app.test_client()
    _r, case_hidden = scan(case, venue)
    case.post(
        f"/C/{venue.token}",
        data={
            "name": "Ca Bệnh",
            "phone": "0905000111",
            "consent": "y",
            **case_hidden,
        },
    )
    today = utcnow().date()
    form = {
        "case-csrf_token": csrf_token(officer, "/tracing/"),
        "case-phone": "0905000111",
        "case-start": str(today - timedelta(days=1)),
        "case-end": str(today + timedelta(days=1)),
        "case-margin": "0",
        "case-reason": "Ca bệnh thử nghiệm, công văn 1/SYT",
    }
    found = officer.post("/tracing/case", data=form).get_data(as_text=True)
    for name in ("Phan Thị Mẹ", "Phan Bé Na", "Phan Văn Ông", "Nguyễn Thị Bạn"):
        assert name in found
    form["case-csrf_token"] = csrf_token(officer, "/tracing/")
    export = officer.post("/tracing/case", data={**form, "export": "csv"})
    contacts = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))[1:]
    assert sorted(r[0] for r in contacts) == sorted(
        ["Phan Thị Mẹ", "Phan Bé Na", "Phan Văn Ông", "Nguyễn Thị Bạn"]
    )


def test_companion_errors_keep_what_was_typed_and_record_nobody(
    client, session, make_venue, scan
):
    venue = make_venue()
    _resp, hidden = scan(client, venue)
    base = {"name": "Đỗ Văn Chủ", "phone": "0901112223", "consent": "y", **hidden}
    resp = client.post(
        f"/C/{venue.token}",
        data={
            **base,
            "companion_name": ["Đỗ Bé", "", "X"],
            "companion_phone": ["123", "", ""],
        },
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'value="Đỗ Bé"' in page and 'value="123"' in page
    assert "Số điện thoại không" in page and "ít nhất 2 ký tự" in page
    too_many = client.post(
        f"/C/{venue.token}",
        data={**base, "companion_name": [f"Người Số {i}" for i in range(11)]},
    )
    assert too_many.status_code == 422
    assert "Tối đa 10 người đi cùng" in too_many.get_data(as_text=True)
    assert _rows(session, venue) == []
    # Ten rows are the most the form offers: no "add" button then.
    ten = client.post(
        f"/C/{venue.token}",
        data={
            **base,
            "companion_name": [f"Người Số {i}" for i in range(10)],
            "add_companion": "1",
        },
    ).get_data(as_text=True)
    assert len(_ROWS.findall(ten)) == 10 and 'name="add_companion"' not in ten


def test_confirmation_link_elsewhere_shows_initials_and_no_check_out(
    app, client, session, make_venue, check_in
):
    venue = make_venue()
    loc = check_in(client, venue, name="Hoàng Thị Lan Anh").headers["Location"]
    mine = client.get(loc).get_data(as_text=True)
    assert "Hoàng Thị Lan Anh" in mine and "check-out" in mine

    stranger = app.test_client()  # the link forwarded, or read over a shoulder
    page = stranger.get(loc).get_data(as_text=True)
    assert "Hoàng Thị Lan Anh" not in page and "H. T. L. A." in page
    assert "check-out" not in page and "/out" not in page
    token = csrf_token(stranger, loc)
    out = stranger.post(loc + "/out", data={"csrf_token": token})
    assert out.status_code == 403
    (row,) = _rows(session, venue)
    assert row.checked_out_at is None


def test_remember_cookie_is_encrypted_and_lives_90_days(
    client, session, make_venue, check_in, scan
):
    venue = make_venue()
    resp = check_in(client, venue, name="Vũ Thị Hạnh", phone="0977123456", remember="y")
    me = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("ci_me="))
    assert "Max-Age=7776000" in me  # 90 days
    value = me.split(";", 1)[0].split("=", 1)[1]
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    for secret in (b"0977123456", b"+84977123456", "Hạnh".encode(), b"H\\u1ea1nh"):
        assert secret not in raw
    _resp, _hidden = scan(client, make_venue())
    assert "Vũ Thị Hạnh" in _resp.get_data(as_text=True)  # it still opens here
    # An edited cookie opens as nothing.
    client.set_cookie("ci_me", value[:-4] + "AAAA", path="/C")
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    assert "Vũ Thị Hạnh" not in page and "use_saved" not in page
