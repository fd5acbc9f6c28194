"""Emergency overrides: targets, the player's own path, end, cancel, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.db import utcnow
from signage.screens.models import Override, Screen
from tests.helpers import login, post_form

WARD_A, WARD_B = 19815, 19909  # An Cựu, Dương Nỗ (Huế)


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _alert(client, key, etag=None):
    headers = _auth(key)
    if etag:
        headers["If-None-Match"] = etag
    return client.get("/play/api/alert", headers=headers)


def _two_screens(session, pair_screen, make_loop):
    loop = make_loop()
    a, key_a = pair_screen(loop, name="TV phường A")
    b, key_b = pair_screen(loop, name="TV phường B")
    session.get(Screen, a.id).ward_code = WARD_A
    session.get(Screen, b.id).ward_code = WARD_B
    session.commit()
    return key_a, key_b


def _form(**kw):
    end = (utcnow() + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "target": "all",
        "title": "Bão số 5",
        "body": "Hạn chế ra đường từ 18:00",
        "background": "#c00000",
        "foreground": "#ffffff",
        "ends_at": end,
    }
    data.update(kw)
    return data


def test_an_override_to_a_ward_reaches_its_screens_until_cancelled_and_is_audited(
    client, session, make_user, pair_screen, make_loop
):
    key_a, key_b = _two_screens(session, pair_screen, make_loop)
    assert _alert(client, key_a).get_json() == {"id": None}
    login(client, make_user(Role.ADMIN))
    resp = post_form(
        client,
        "/screens/overrides",
        _form(target="ward", ward=str(WARD_A)),
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[-2000:]
    page = client.get("/screens/overrides").get_data(as_text=True)
    assert "tới 1 màn hình" in page and "Đang hiện" in page

    first = _alert(client, key_a)
    body = first.get_json()
    assert body["id"] and body["title"] == "Bão số 5" and body["ends_at"]
    image = client.get(body["src"])
    image.close()
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert _alert(client, key_a, first.headers["ETag"]).status_code == 304
    assert _alert(client, key_b).get_json() == {"id": None}

    row = session.scalar(select(Override))
    resp = post_form(
        client, f"/screens/overrides/{row.id}/cancel", {}, "/screens/overrides"
    )
    assert resp.status_code == 302
    after = _alert(client, key_a, first.headers["ETag"])
    assert after.status_code == 200 and after.get_json() == {"id": None}
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
    assert [a for a in actions if "override" in a] == [
        "screens.override",
        "screens.override_cancel",
    ]


def test_an_override_ends_at_its_end_time(session, client, pair_screen, make_loop):
    from signage.screens import overrides
    from signage.screens.models import OverrideTarget

    _screen, key = pair_screen(make_loop())
    row = overrides.create(
        session,
        overrides.OverrideData(
            OverrideTarget.ALL,
            title="Diễn tập",
            ends_at=utcnow() + timedelta(minutes=5),
        ),
        None,
    )
    session.commit()
    assert _alert(client, key).get_json()["id"] == row.id
    row.ends_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert _alert(client, key).get_json() == {"id": None}


def test_bad_overrides_are_refused_with_clear_messages(
    client, session, make_user, make_org, pair_screen, make_loop
):
    pair_screen(make_loop())
    login(client, make_user(Role.EDITOR))
    no_end = post_form(client, "/screens/overrides", _form(ends_at=""))
    assert no_end.status_code == 422
    assert "Cho đến khi huỷ" in no_end.get_data(as_text=True)
    two = post_form(client, "/screens/overrides", _form(target="tag", tag="kho, sảnh"))
    assert two.status_code == 422 and "Nhập một nhãn" in two.get_data(as_text=True)
    empty = post_form(client, "/screens/overrides", _form(target="tag", tag="kho"))
    assert empty.status_code == 422
    assert "Không có màn hình nào" in empty.get_data(as_text=True)
    blank = post_form(client, "/screens/overrides", _form(title="", body=""))
    assert blank.status_code == 422
    assert session.scalar(select(Override)) is None

    # Text that a screen would have to cut is refused, naming the sizes.
    long = post_form(
        client,
        "/screens/overrides",
        _form(body=("Hạn chế ra đường, tránh xa bờ sông và cây lớn. " * 22)[:1000]),
    )
    assert long.status_code == 422
    text = long.get_data(as_text=True)
    assert "Chữ không vừa ở 1080×1920" in text and "chưa được gửi" in text
    assert session.scalar(select(Override)) is None

    until = post_form(
        client, "/screens/overrides", _form(ends_at="", until_cancelled="y")
    )
    assert until.status_code == 302
    flashed = client.get(until.headers["Location"]).get_data(as_text=True)
    assert "cho đến khi bấm Huỷ" in flashed

    # An organisation's own editor cannot send one.
    other = make_user(Role.EDITOR, make_org())
    client2 = client.application.test_client()
    login(client2, other)
    assert client2.get("/screens/overrides").status_code == 404
