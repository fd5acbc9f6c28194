"""The player's API: pairing, manifest with ETag/304 as heartbeat, proof of play."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from signage.db import utcnow
from signage.screens import devices
from signage.screens.models import PlayRecord, Screen


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _get(client, url, **kw):
    resp = client.get(url, **kw)
    resp.get_data()
    resp.close()
    return resp


def test_pairing_flow_the_secret_becomes_the_key(client, session, make_loop):
    loop = make_loop()
    started = client.post("/play/api/pair").get_json()
    assert len(started["code"]) == 6 and set(started["code"]) <= set(
        devices.CODE_ALPHABET
    )
    key = started["secret"]
    assert client.get("/play/api/pair", headers=_auth(key)).get_json() == {
        "status": "waiting"
    }
    assert client.get("/play/api/manifest", headers=_auth(key)).status_code == 401

    screen = devices.pair(
        session,
        started["code"].lower(),
        devices.ScreenData("Thang máy A", loop.id, 1080, 1920),
        None,
    )
    session.commit()
    assert client.get("/play/api/pair", headers=_auth(key)).get_json() == {
        "status": "paired"
    }
    resp = client.get("/play/api/manifest", headers=_auth(key))
    assert resp.status_code == 200 and resp.get_json()["size"] == [1080, 1920]
    # Only a hash of the key is stored.
    assert session.get(Screen, screen.id).key_hash == devices.key_hash(key) != key


def test_a_code_cannot_be_used_twice_or_after_expiry(session, make_loop):
    loop = make_loop()
    code, _secret = devices.start_pairing(session, 30)
    data = devices.ScreenData("A", loop.id, 1920, 1080)
    devices.pair(session, code, data, None)
    try:
        devices.pair(session, code, data, None)
        raise AssertionError("paired twice")
    except devices.Invalid as e:
        assert "đã được dùng" in e.message
    code2, _ = devices.start_pairing(session, -1)
    try:
        devices.pair(session, code2, data, None)
        raise AssertionError("expired code accepted")
    except devices.Invalid as e:
        assert "hết hạn" in e.message


def test_manifest_answers_304_until_a_new_version_is_published(
    client, session, app, make_loop, pair_screen
):
    from signage.screens import services

    loop = make_loop([{"title": "Một", "duration_ms": 1500}, {"title": "Hai"}])
    _screen, key = pair_screen(loop)
    first = client.get("/play/api/manifest", headers=_auth(key))
    body = first.get_json()
    assert [s["title"] for s in body["slides"]] == ["Một", "Hai"]
    assert body["slides"][0]["duration_ms"] == 1500
    etag = first.headers["ETag"]
    again = client.get(
        "/play/api/manifest", headers={**_auth(key), "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.get_data() == b""

    loop.slides[1].title = "Hai (sửa)"
    session.commit()
    # A draft edit changes nothing for screens...
    assert (
        client.get(
            "/play/api/manifest", headers={**_auth(key), "If-None-Match": etag}
        ).status_code
        == 304
    )
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    # ...publishing does.
    fresh = client.get(
        "/play/api/manifest", headers={**_auth(key), "If-None-Match": etag}
    )
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert fresh.get_json()["slides"][1]["title"] == "Hai (sửa)"


def test_slide_images_are_immutable_and_checked_against_their_hash(
    client, make_loop, pair_screen
):
    loop = make_loop(
        [{"kind": "qr", "qr_url": "https://hue-s.vn/app", "title": "Cài app"}]
    )
    _screen, key = pair_screen(loop)
    m = client.get("/play/api/manifest", headers=_auth(key)).get_json()
    src = m["slides"][0]["src"]
    resp = _get(client, src)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert _get(client, src).status_code == 200  # from the cache
    forged = src.rsplit("/", 1)[0] + "/" + "0" * 32 + ".jpg"
    assert _get(client, forged).status_code == 404
    assert _get(client, m["fallback"]).status_code == 200


def test_heartbeat_writes_at_most_once_per_poll_interval(
    session, make_loop, pair_screen
):
    loop = make_loop()
    screen, key = pair_screen(loop)
    hb = devices.authenticate(session, key)
    assert devices.touch(session, hb, 30) is True  # never seen
    session.commit()
    hb = devices.authenticate(session, key)
    assert hb.seen_hash == loop.version_hash
    assert devices.touch(session, hb, 30) is False  # seen a moment ago, same version
    later = utcnow() + timedelta(seconds=31)
    assert devices.touch(session, hb, 30, now=later) is True


def test_revoked_screen_gets_401(client, session, make_loop, pair_screen):
    loop = make_loop()
    screen, key = pair_screen(loop)
    assert client.get("/play/api/manifest", headers=_auth(key)).status_code == 200
    devices.revoke(session, session.get(Screen, screen.id))
    session.commit()
    assert client.get("/play/api/manifest", headers=_auth(key)).status_code == 401
    assert client.get("/play/api/manifest").status_code == 401


def test_screen_without_a_loop_gets_only_the_fallback(client, pair_screen):
    _screen, key = pair_screen(None)
    m = client.get("/play/api/manifest", headers=_auth(key)).get_json()
    assert m["slides"] == [] and m["fallback"].startswith("/play/fallback/")


def _play(slide_id, version, **kw):
    return {
        "id": kw.pop("id", str(uuid.uuid4())),
        "slide": slide_id,
        "version": version,
        "start": kw.pop("start", int(utcnow().timestamp() * 1000) - 60_000),
        "duration": kw.pop("duration", 10_000),
    }


def test_proof_of_play_is_stored_exactly_once(client, session, make_loop, pair_screen):
    loop = make_loop([{"title": "Cài ứng dụng"}])
    _screen, key = pair_screen(loop)
    slide_id = loop.slides[0].id
    batch = [_play(slide_id, loop.version_hash) for _ in range(5)]
    r1 = client.post(
        "/play/api/plays", json={"plays": batch}, headers=_auth(key)
    ).get_json()
    assert r1["accepted"] == 5 and sorted(r1["ids"]) == sorted(p["id"] for p in batch)
    # The response was lost: the player sends the same batch again, plus one more.
    r2 = client.post(
        "/play/api/plays",
        json={"plays": [*batch, _play(slide_id, loop.version_hash)]},
        headers=_auth(key),
    ).get_json()
    assert (r2["accepted"], r2["duplicates"]) == (1, 5)
    assert session.scalar(select(func.count()).select_from(PlayRecord)) == 6
    rec = session.scalar(select(PlayRecord).limit(1))
    assert rec.slide_label == "Cài ứng dụng" and rec.loop_id == loop.id


def test_garbage_plays_are_rejected_and_acknowledged(
    client, session, make_loop, pair_screen
):
    loop = make_loop()
    _screen, key = pair_screen(loop)
    bad = [
        "x",
        {"id": "short"},
        _play(1, "v", duration=-5),
        _play(1, "v", duration=10**9),
        _play(1, "v", start=10**17),
        _play(1, "v", start=int((utcnow() + timedelta(days=1)).timestamp() * 1000)),
        {**_play(1, "v"), "slide": True},
    ]
    r = client.post("/play/api/plays", json={"plays": bad}, headers=_auth(key))
    assert r.status_code == 200 and r.get_json()["rejected"] == 7
    assert session.scalar(select(func.count()).select_from(PlayRecord)) == 0
    assert (
        client.post(
            "/play/api/plays", json={"plays": "no"}, headers=_auth(key)
        ).status_code
        == 422
    )
    assert (
        client.post("/play/api/plays", data="{{{", headers=_auth(key)).status_code
        == 422
    )
    assert client.post("/play/api/plays", json={"plays": []}).status_code == 401


def test_the_fallback_follows_the_campaign_settings_not_the_config(
    app, client, session, pair_screen
):
    import io

    from PIL import Image

    from signage import caches
    from signage.campaign import services as campaign

    _screen, key = pair_screen(None)
    before = _get(client, "/play/api/manifest", headers=_auth(key))
    values = {name: "" for name in campaign.FORM_FIELDS}
    values.update(
        authority="UBND tỉnh Thừa Thiên Huế", title="Huế an toàn", color="#7a1f5c"
    )
    campaign.save(session, campaign.clean(values))
    session.commit()
    with app.app_context():
        caches.forget_campaign()  # as saving in the portal does
    after = client.get(
        "/play/api/manifest",
        headers={**_auth(key), "If-None-Match": before.headers["ETag"]},
    )
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    fallback = after.get_json()["fallback"]
    assert fallback != before.get_json()["fallback"]
    image = Image.open(io.BytesIO(_get(client, fallback).data)).convert("RGB")
    r, g, b = image.getpixel((5, 5))
    assert abs(r - 0x7A) < 12 and abs(g - 0x1F) < 12 and abs(b - 0x5C) < 12
    page = client.get("/play").get_data(as_text=True)
    assert "Huế an toàn" in page and "UBND tỉnh Thừa Thiên Huế" in page
    assert app.config["CAMPAIGN_AUTHORITY"] not in page
