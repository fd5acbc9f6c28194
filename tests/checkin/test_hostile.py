"""Hostile and odd input: never a 500, never executed, exports stay inert."""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from sqlalchemy import select

from signage.accounts.models import Role
from signage.checkin import people
from signage.checkin.models import CheckIn
from signage.csvout import neutralise

from ..helpers import export, login

NFD = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")

# (name, phone, stored?) - stored rows must come back escaped and export safely.
CASES = [
    ('=HYPERLINK("http://evil","x")', "0901234501", True),
    ("+SUM(A1:A9)", "0901234502", True),
    ("-2+3 Lê", "0901234503", True),
    ("@cmd Trần", "0901234504", True),
    ("\tTab Nguyễn", "0901234505", True),  # leading whitespace trimmed
    ('Lý "Quote", Văn', "0901234506", True),
    ("Dòng\nmới\r\nHai", "0901234507", True),  # newlines collapse to spaces
    ("<script>alert(1)</script>", "0901234508", True),
    ("'; DROP TABLE checkins; --", "0901234509", True),
    ("Robert'); DELETE FROM venues;--", "0901234510", True),
    (NFD, "0901234511", True),
    ("Phan Văn Số", "０９０１２３４５１２", True),  # full-width digits
    ("H'Hen Niê", "+84 90 123 4513", True),
    ("Y Moan Ênuôl", "84-90-123-4514", True),
    ("Êčăm", "(+84) 901.234.515", True),
    ("x" * 10_000, "0901234516", False),
    ("Tên bình thường", "9" * 10_000, False),
    ("Zero\u200bWidth", "0901234517", False),
    ("Bidi\u202eevil", "0901234518", False),
    ("Ctl\x00Null", "0901234519", False),
    ("a" + "\u0301" * 50, "0901234520", False),
    ("12345", "0901234521", False),
    ("Tên", "0901234567' OR '1'='1", False),
    ("Tên", "<script>", False),
    ("", "", False),
]


@pytest.mark.parametrize(("name", "phone", "stored"), CASES)
def test_hostile_checkin_input(client, session, make_venue, scan, name, phone, stored):
    venue = make_venue()
    _r, hidden = scan(client, venue)
    resp = client.post(
        f"/C/{venue.token}",
        data={"name": name, "phone": phone, "consent": "y", **hidden},
    )
    assert resp.status_code in (303, 422), resp.status_code
    page = resp.get_data(as_text=True)
    assert "<script>alert" not in page
    rows = list(session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id)))
    if not stored:
        assert resp.status_code == 422 and rows == []
        return
    assert resp.status_code == 303, page[:2000]
    (row,) = rows
    assert row.name == unicodedata.normalize("NFC", row.name)
    assert "\n" not in row.name and "\r" not in row.name
    assert row.phone.startswith("+84") and row.phone[1:].isdigit()
    confirm = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in confirm


def test_hostile_names_export_inert(client, session, make_venue, make_user, scan):
    venue = make_venue()
    for name, phone, stored in CASES:
        if stored:
            _r, hidden = scan(client, venue)
            client.post(
                f"/C/{venue.token}",
                data={"name": name, "phone": phone, "consent": "y", **hidden},
            )
    stored_names = {
        r.name: r
        for r in session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id))
    }
    assert len(stored_names) == sum(1 for c in CASES if c[2])
    login(client, make_user(Role.MANAGER, venue.organisation))
    log = client.get(f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins")
    assert log.status_code == 200
    assert "<script>alert" not in log.get_data(as_text=True)
    raw = export(
        client, f"/orgs/{venue.organisation_id}/venues/{venue.id}/checkins.csv"
    ).get_data()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))[1:]
    assert len(rows) == len(stored_names)
    for r in rows:
        for cell in r:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert r[4] in {neutralise(n) for n in stored_names}
        assert r[5].startswith("0") and r[5].isdigit()


def test_hostile_feedback_and_search(client, session, make_venue, make_user, check_in):
    venue = make_venue()
    loc = check_in(client, venue).headers["Location"]
    page = client.get(loc).get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for message in ("<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0", "x" * 10_000):
        resp = client.post(
            loc + "/feedback",
            data={"csrf_token": csrf, "category": "other", "message": message},
        )
        assert resp.status_code in (303, 422)
    resp = client.post(
        loc + "/feedback",
        data={"csrf_token": csrf, "category": "'; DROP TABLE x", "message": "hi"},
    )
    assert resp.status_code == 422
    login(client, make_user(Role.MANAGER, venue.organisation))
    url = f"/orgs/{venue.organisation_id}/checkins"
    for q in ("' OR 1=1 --", "%_%", "x" * 10_000, "\x00", "０９０１"):
        resp = client.get(url, query_string={"q": q, "page": "-5", "venue": "x"})
        assert resp.status_code == 200
    page = client.get(url).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_phone_forms_normalise_to_e164():
    for raw in (
        "0901234567",
        "+84 90 123 4567",
        "84-90-123-4567",
        "０９０１２３４５６７",
    ):
        assert people.clean_phone(raw) == "+84901234567"
    assert people.mask("+84901234567") == "090•••4567"
    assert people.national("+84901234567") == "0901234567"
