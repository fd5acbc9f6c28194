"""The association portal: loops, slides, order, publish, pairing, screens, reports."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

from sqlalchemy import select

from signage.accounts.models import Role
from signage.db import utcnow
from signage.screens.models import Loop, LoopVersion, Screen, Slide
from tests.helpers import csrf_token, login, post_form

SLIDE = {
    "title": "Giải chạy 5K",
    "body": "Chủ nhật 12/12, 6:00",
    "background": "#0b5394",
    "foreground": "#ffffff",
    "duration": "7.5",
    "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
    "enabled": "y",
}


def _editor(client, make_user, **kw):
    user = make_user(Role.EDITOR, **kw)
    login(client, user)
    return user


def test_editor_builds_a_loop_and_publishes_an_immutable_version(
    client, session, make_user
):
    _editor(client, make_user)
    resp = post_form(
        client, "/screens/loops", {"name": "Chiến dịch tháng 12"}, "/screens/"
    )
    assert resp.status_code == 302
    loop = session.scalar(select(Loop))
    url = f"/screens/loops/{loop.id}/slides/new?kind=poster"
    resp = post_form(
        client, url, {**SLIDE, "window_start": "22:00", "window_end": "06:00"}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    slide = session.scalar(select(Slide))
    assert (slide.duration_ms, slide.window_start, slide.window_end) == (
        7500,
        1320,
        360,
    )

    page = client.get(f"/screens/loops/{loop.id}").get_data(as_text=True)
    assert "Giải chạy 5K" in page and "Chưa phát hành" in page
    assert (
        post_form(
            client, f"/screens/loops/{loop.id}/publish", {}, f"/screens/loops/{loop.id}"
        ).status_code
        == 302
    )
    v1 = session.scalar(select(LoopVersion))
    assert v1.number == 1 and v1.slides[0]["window"] == [1320, 360]

    # Editing the draft leaves the published snapshot untouched.
    edit = f"/screens/loops/{loop.id}/slides/{slide.id}"
    assert post_form(client, edit, {**SLIDE, "title": "Đổi tên"}).status_code == 302
    session.expire_all()
    assert session.get(LoopVersion, v1.id).slides[0]["title"] == "Giải chạy 5K"
    assert "Bản nháp khác bản đang chiếu" in client.get(
        f"/screens/loops/{loop.id}"
    ).get_data(as_text=True)


def test_slide_validation_messages(client, session, make_user, make_loop):
    _editor(client, make_user)
    loop = make_loop([], publish=False)
    url = f"/screens/loops/{loop.id}/slides/new?kind=poster"
    cases = [
        ({"duration": "0.05"}, "Thời lượng từ 0.1 đến 3600 giây"),
        ({"duration": "4000"}, "Thời lượng từ 3 giây đến 1 giờ."),
        ({"background": "red"}, "Màu có dạng #RRGGBB"),
        ({"weekdays": []}, "Chọn ít nhất một ngày"),
        ({"window_start": "08:00"}, "Nhập cả giờ bắt đầu và giờ kết thúc"),
        (
            {"start_date": "2026-12-10", "end_date": "2026-12-01"},
            "Ngày kết thúc trước ngày bắt đầu",
        ),
        ({"qr_url": "javascript:alert(1)"}, "https://"),
        ({"qr_venue": "ZZZZZZZZZZ"}, "Không có địa điểm nào mang mã này"),
        ({"title": "", "body": ""}, "Hãy nhập tiêu đề hoặc nội dung"),
    ]
    for change, message in cases:
        data = {**SLIDE, **change}
        resp = post_form(client, url, data)
        assert resp.status_code == 422, change
        assert message in resp.get_data(as_text=True), (change, message)
    assert session.scalar(select(Slide.id)) is None


def test_default_durations_are_3_seconds_to_an_hour():
    from signage.errors import Invalid
    from signage.screens.models import SlideKind
    from signage.screens.services import SlideData

    assert SlideData(SlideKind.POSTER, title="A").duration_ms == 10_000
    for ms in (2_999, 3_600_001):
        try:
            SlideData(SlideKind.POSTER, title="A", duration_ms=ms).check()
            raise AssertionError(ms)
        except Invalid as e:
            assert e.message == "Thời lượng từ 3 đến 3600 giây."
    SlideData(SlideKind.POSTER, title="A", duration_ms=3_000).check()


def test_venue_checkin_qr_follows_the_venue_token(
    client, session, app, make_user, make_loop, make_venue
):
    _editor(client, make_user)
    venue = make_venue()
    loop = make_loop([], publish=False)
    url = f"/screens/loops/{loop.id}/slides/new?kind=qr"
    resp = post_form(
        client, url, {**SLIDE, "qr_venue": venue.token.lower(), "title": "Quét khi vào"}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    post_form(
        client, f"/screens/loops/{loop.id}/publish", {}, f"/screens/loops/{loop.id}"
    )
    version = session.scalar(select(LoopVersion))
    assert version.slides[0]["qr"] == f"HTTPS://QR.EXAMPLE.VN/C/{venue.token}"


def test_reorder_by_drag_and_by_arrows(client, session, make_user, make_loop):
    _editor(client, make_user)
    loop = make_loop([{"title": t} for t in "ABC"], publish=False)
    ids = [s.id for s in loop.slides]
    page = f"/screens/loops/{loop.id}"
    resp = client.post(
        f"{page}/order",
        data={
            "csrf_token": csrf_token(client, page),
            "order": f"{ids[2]},{ids[0]},{ids[1]}",
        },
        headers={"Accept": "application/json"},
    )
    assert resp.get_json() == {"ok": True, "order": [ids[2], ids[0], ids[1]]}

    def order():
        session.expire_all()
        return [s.title for s in session.get(Loop, loop.id).slides]

    assert order() == ["C", "A", "B"]
    post_form(client, f"{page}/slides/{ids[1]}/move", {"step": "up"}, page)
    assert order() == ["C", "B", "A"]
    post_form(client, f"{page}/slides/{ids[2]}/move", {"step": "down"}, page)
    assert order() == ["B", "C", "A"]
    # A stale order (a slide missing) is refused, nothing changes.
    resp = client.post(
        f"{page}/order",
        data={"csrf_token": csrf_token(client, page), "order": f"{ids[0]}"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 409 and order() == ["B", "C", "A"]


def test_every_slide_previews_at_every_size(client, make_user, make_loop):
    _editor(client, make_user)
    loop = make_loop([{"title": "A", "qr_url": "https://hue-s.vn/app"}], publish=False)
    page = client.get(f"/screens/loops/{loop.id}/preview?custom=1366x768").get_data(
        as_text=True
    )
    slide_id = loop.slides[0].id
    for size in ("1920x1080", "1080x1920", "1280x720", "720x1280", "1366x768"):
        url = f"/screens/loops/{loop.id}/slides/{slide_id}/preview/{size}.png"
        assert url in page
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "image/png"
        resp.close()
    assert client.get(f"/screens/loops/{loop.id}/preview?custom=5x5").status_code == 422
    assert (
        client.get(
            f"/screens/loops/{loop.id}/slides/{slide_id}/preview/1x1.png"
        ).status_code
        == 404
    )


def test_pair_form_lists_screen_online_then_offline_and_revoke(
    client, session, app, make_user, make_loop
):
    _editor(client, make_user)
    loop = make_loop()
    started = client.post("/play/api/pair").get_json()
    empty = post_form(client, "/screens/pair", {"code": "", "name": ""})
    assert empty.status_code == 422
    assert empty.get_data(as_text=True).count("Hãy nhập thông tin này.") == 2
    bad = post_form(
        client,
        "/screens/pair",
        {"code": "ZZZZZZ", "name": "TV", "loop_id": str(loop.id), "size": "1920x1080"},
    )
    assert bad.status_code == 422 and "hết hạn" in bad.get_data(as_text=True)
    resp = post_form(
        client,
        "/screens/pair",
        {
            "code": started["code"],
            "name": "TV sảnh",
            "loop_id": str(loop.id),
            "size": "custom",
            "custom_size": "1366x768",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    screen = session.scalar(select(Screen))
    assert (screen.width, screen.height, screen.loop_id) == (1366, 768, loop.id)
    listing = client.get("/screens/devices").get_data(as_text=True)
    assert "TV sảnh" in listing and "chưa kết nối" in listing

    key = {"Authorization": f"Bearer {started['secret']}"}
    assert client.get("/play/api/manifest", headers=key).status_code == 200
    listing = client.get("/screens/devices").get_data(as_text=True)
    assert "Trực tuyến" in listing and loop.version_hash[:8] in listing
    poll = app.config["SCREENS_POLL_SECONDS"]
    session.get(Screen, screen.id).last_seen_at = utcnow() - timedelta(
        seconds=3 * poll + 1
    )
    session.commit()
    assert "Mất kết nối" in client.get("/screens/devices").get_data(as_text=True)

    post_form(
        client,
        f"/screens/devices/{screen.id}/revoke",
        {},
        f"/screens/devices/{screen.id}",
    )
    assert client.get("/play/api/manifest", headers=key).status_code == 401
    assert "Đã thu hồi" in client.get("/screens/devices").get_data(as_text=True)


def test_editors_of_another_organisation_see_nothing(
    client, make_user, make_org, make_loop, pair_screen
):
    mine = make_org()
    loop = make_loop(organisation_id=None, name="Vòng của hiệp hội")
    screen, _key = pair_screen(loop)
    _editor(client, make_user, org=mine)
    assert client.get(f"/screens/loops/{loop.id}").status_code == 404
    assert client.get(f"/screens/devices/{screen.id}").status_code == 404
    assert loop.name not in client.get("/screens/").get_data(as_text=True)


def test_report_minutes_per_loop_slide_screen_and_day_with_csv(
    client, session, make_user, make_loop, pair_screen
):
    _editor(client, make_user)
    loop = make_loop([{"title": "Cài ứng dụng"}, {"title": "=cmd|'/c calc'!A1"}])
    _screen, key = pair_screen(loop, name="TV sảnh")
    a, b = (s.id for s in loop.slides)
    start = int((utcnow() - timedelta(hours=1)).timestamp() * 1000)
    plays = [
        {
            "id": str(uuid.uuid4()),
            "slide": a,
            "version": loop.version_hash,
            "start": start + i * 10_000,
            "duration": 30_000,
        }
        for i in range(4)
    ] + [
        {
            "id": str(uuid.uuid4()),
            "slide": b,
            "version": loop.version_hash,
            "start": start,
            "duration": 90_000,
        }
    ]
    client.post(
        "/play/api/plays",
        json={"plays": plays},
        headers={"Authorization": f"Bearer {key}"},
    )
    page = client.get("/screens/reports").get_data(as_text=True)
    assert "Cài ứng dụng" in page and "2.00" in page and "1.50" in page
    resp = client.get("/screens/reports.csv")
    rows = list(
        csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff")))
    )
    got = {(r["trang"], r["man_hinh"], r["luot"], r["phut"]) for r in rows}
    assert got == {
        ("Cài ứng dụng", "TV sảnh", "4", "2.00"),
        ("'=cmd|'/c calc'!A1", "TV sảnh", "1", "1.50"),
    }


def test_publishing_refuses_the_checkin_qr_of_an_inactive_venue(
    client, session, make_user, make_loop, make_venue
):
    from signage.venues import services as venues

    _editor(client, make_user)
    venue = make_venue()
    loop = make_loop(
        [{"kind": "qr", "qr_venue_id": venue.id, "title": "Quét mã"}], publish=False
    )
    venues.set_active(session, venue, False)
    session.commit()
    page = f"/screens/loops/{loop.id}"
    resp = post_form(client, f"{page}/publish", {}, page)
    assert resp.status_code == 302
    assert "địa điểm của mã QR đã tạm ngừng" in client.get(page).get_data(as_text=True)
    assert session.scalar(select(LoopVersion.id)) is None
