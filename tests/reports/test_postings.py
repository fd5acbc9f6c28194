"""Boards produced (not previews) and boards confirmed posted, with a photo."""

from __future__ import annotations

import io
import os
import re
import time

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from signage.accounts.models import Role
from signage.reports import postings
from signage.reports.models import BoardPosting
from signage.storage import get_storage

from ..helpers import csrf_token, login


def _photo_with_gps(size: tuple[int, int] = (3000, 2000)) -> bytes:
    """A JPEG as a phone writes it: EXIF with a GPS position and a camera model."""
    img = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (16.0, 27.0, 48.0)  # latitude of Huế
    gps[3], gps[4] = "E", (107.0, 35.0, 24.0)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=80)
    return buf.getvalue()


def _post_photo(client, org_id: int, venue_id: int, data: bytes | None, name="a.jpg"):
    token = csrf_token(client, f"/reports/orgs/{org_id}")
    fields: dict[str, object] = {"csrf_token": token}
    if data is not None:
        fields["photo"] = FileStorage(io.BytesIO(data), filename=name)
    boundary, body = encode_multipart(fields)
    return client.post(
        f"/reports/orgs/{org_id}/venues/{venue_id}/posted",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.fixture
def shop(make_org, make_venue, make_user, client):
    org = make_org(name="Cửa hàng Đông Ba")
    venues = [make_venue(org, name="Quầy chính"), make_venue(org, name="Kho")]
    login(client, make_user(Role.MANAGER, org))
    return org, venues


def test_a_preview_is_not_a_board_produced(client, session, shop):
    org, (front, back) = shop
    base = f"/orgs/{org.id}/venues"
    assert client.get(f"{base}/{front.id}/board.pdf?size=a4").status_code == 200
    assert client.get(f"{base}/{back.id}/qr.svg").status_code == 200
    assert postings.produced_venue_counts(session, [org.id]) == {}
    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert 'id="sys-produced">0<' in page
    resp = client.get(f"{base}/{front.id}/board.pdf?size=a3&download=1")
    assert resp.status_code == 200
    assert postings.produced_venue_counts(session, [org.id]) == {org.id: 1}
    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert 'id="sys-venues">2<' in page and 'id="sys-produced">1<' in page


def test_confirm_posted_with_a_photo_stripped_of_its_metadata(
    app, client, session, shop, make_org, make_user
):
    org, (front, back) = shop
    resp = _post_photo(client, org.id, front.id, _photo_with_gps())
    assert resp.status_code == 302
    assert _post_photo(client, org.id, back.id, None).status_code == 302
    assert postings.posted_venue_counts(session, [org.id]) == {org.id: 2}

    photo = client.get(f"/reports/orgs/{org.id}/venues/{front.id}/posted/photo.jpg")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "no-store" in photo.headers["Cache-Control"]
    img = Image.open(io.BytesIO(photo.data))
    assert max(img.size) == 1600  # scaled down from 3000 px
    assert not img.getexif() and "exif" not in img.info
    assert b"Phone X" not in photo.data
    photo.close()  # send_file's open file
    # No photo for the other venue: 404.
    url = f"/reports/orgs/{org.id}/venues/{back.id}/posted/photo.jpg"
    assert client.get(url).status_code == 404

    # Another organisation's manager sees neither the photo nor the page.
    other = app.test_client()
    login(other, make_user(Role.MANAGER, make_org()))
    url = f"/reports/orgs/{org.id}/venues/{front.id}/posted/photo.jpg"
    assert other.get(url).status_code == 404
    assert other.get(f"/reports/orgs/{org.id}").status_code == 404

    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert 'id="sys-posted">2<' in page and "Ảnh bảng đã dán" in page

    # Withdrawn: no longer counted; the photo file goes with the orphan purge.
    token = csrf_token(client, f"/reports/orgs/{org.id}")
    resp = client.post(
        f"/reports/orgs/{org.id}/venues/{front.id}/posted/withdraw",
        data={"csrf_token": token},
    )
    assert resp.status_code == 302
    assert postings.posted_venue_counts(session, [org.id]) == {org.id: 1}
    from signage.jobs.housekeeping import purge_orphan_photos

    storage = get_storage(app)
    files = list((storage.root / postings.PHOTO_PREFIX).rglob("*.jpg"))
    assert len(files) == 1
    assert purge_orphan_photos(app) == 0  # a day's grace first
    old = time.time() - 2 * 86400
    os.utime(files[0], (old, old))
    assert purge_orphan_photos(app) == 1 and not files[0].exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "bang.jpg", "không phải ảnh"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "bang.svg", "không phải ảnh"),
    ],
)
def test_a_bad_photo_is_refused_and_nothing_recorded(
    client, session, shop, data, name, message
):
    org, (front, _back) = shop
    resp = _post_photo(client, org.id, front.id, data, name)
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    row = body.split(f'id="venue-{front.id}"')[1].split("</tr>")[0]
    assert message in row
    assert session.scalar(select(func.count()).select_from(BoardPosting)) == 0


def test_posted_counts_follow_the_venue(app, client, session, shop, make_venue):
    org, (front, back) = shop
    _post_photo(client, org.id, front.id, None)
    _post_photo(client, org.id, back.id, None)
    ids = select(BoardPosting.organisation_id)  # a scope given as a SELECT works too
    assert postings.posted_venue_counts(session, ids) == {org.id: 2}
    # A new token replaces the board on the wall: its confirmation goes.
    token = csrf_token(client, f"/orgs/{org.id}/venues/{front.id}")
    resp = client.post(
        f"/orgs/{org.id}/venues/{front.id}/rotate", data={"csrf_token": token}
    )
    assert resp.status_code in (302, 303)
    assert postings.posted_venue_counts(session, [org.id]) == {org.id: 1}
    # A paused venue is not counted, and cannot be confirmed.
    token = csrf_token(client, f"/orgs/{org.id}/venues/{back.id}")
    client.post(f"/orgs/{org.id}/venues/{back.id}/active", data={"csrf_token": token})
    assert postings.posted_venue_counts(session, [org.id]) == {}
    resp = _post_photo(client, org.id, back.id, None)
    assert resp.status_code == 422
    assert "tạm ngừng" in resp.get_data(as_text=True)
    # Another organisation's venue id under this organisation: 404.
    stranger = make_venue()
    assert _post_photo(client, org.id, stranger.id, None).status_code == 404


def test_the_report_is_prefilled_from_the_roster(client, session, shop):
    from signage.adoption import services as adoption

    org, _venues = shop
    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert "điền sẵn" not in page
    from signage.adoption.phones import match_key
    from signage.adoption.rosterfile import Entry
    from signage.db import get_db

    key = match_key("k")
    with get_db(client.application).write() as s:
        roster = adoption.start_roster(s, org.id, None, 365)
        adoption.add_entries(
            s,
            roster.id,
            [
                Entry(2, "Ngô Văn An", "+84905000001", "h1" + key.hex()[:62], ""),
                Entry(3, "Ngô Thị Bé", "+84905000002", "h2" + key.hex()[:62], ""),
            ],
        )
        adoption.make_current(s, roster.id, 2)
        s.commit()
    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert "danh sách cán bộ đã đối chiếu" in page
    assert re.search(r'<input[^>]*name="staff_total"[^>]*value="2"', page)
    assert re.search(r'<input[^>]*name="staff_with_app"[^>]*value="0"', page)


def test_the_report_counts_paired_screens_and_prefills_them(
    client, session, shop, make_org
):
    """Screens paired to the organisation (not a revoked one, not another
    organisation's) are the report's screen figure and its first suggestion."""
    from signage.db import utcnow
    from signage.screens.models import Screen

    org, _venues = shop
    other = make_org()
    for i, (owner, revoked) in enumerate(
        ((org, None), (org, None), (org, utcnow()), (other, None))
    ):
        session.add(
            Screen(
                organisation_id=owner.id,
                name=f"TV {i}",
                width=1920,
                height=1080,
                key_hash=f"{i:064x}",
                revoked_at=revoked,
            )
        )
    session.commit()
    page = client.get(f"/reports/orgs/{org.id}").get_data(as_text=True)
    assert 'id="sys-screens">2<' in page
    assert re.search(r'<input[^>]*name="screens_running"[^>]*value="2"', page)
