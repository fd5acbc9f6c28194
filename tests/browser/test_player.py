"""The screen player in Debian's headless Chromium: pairing, order and timing, a new
version arriving, playing on with the server down, proof of play exactly once, and a
1,000-transition soak with a flat JS heap."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from signage.screens import devices, services
from signage.screens.models import PlayRecord, Screen, SlideKind

pytestmark = pytest.mark.slow

OBSERVE = """() => {
  window.__log = [];
  new MutationObserver(() => {
    const d = document.body.dataset;
    window.__log.push([performance.now(), d.slide, d.version]);
  }).observe(document.body, {attributes: true, attributeFilter: ['data-slide']});
}"""


# Every animation frame: is the image on top a fully decoded picture? (no black flash)
BLANK_FRAMES = """() => {
  window.__frames = 0; window.__blank = 0;
  const tick = () => {
    const img = document.querySelector('#stage img.on');
    window.__frames++;
    if (!(img && img.complete && img.naturalWidth > 0)) window.__blank++;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}"""


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"SCREENS_MIN_DURATION_MS": 10, "SCREENS_POLL_SECONDS": 1}


def _loop(session, app, durations: list[int], name: str = "Chiến dịch"):
    loop = services.create_loop(session, name, None)
    for i, ms in enumerate(durations):
        kind = SlideKind.QR if i % 3 == 2 else SlideKind.POSTER
        services.add_slide(
            session,
            loop,
            services.SlideData(
                kind,
                title=f"Trang {i + 1}",
                body="Quét mã để cài ứng dụng" if kind is SlideKind.POSTER else "",
                qr_url="https://hue-s.vn/app",
                background=["#0b5394", "#c00000", "#1e4620"][i % 3],
                duration_ms=ms,
                limits=(10, 3_600_000),
            ),
        )
    session.expire(loop, ["slides"])
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    return loop


def _pair(page, session, loop, size=(1280, 720)) -> Screen:
    page.wait_for_function(
        "() => /^[2-9A-Z]{6}$/.test(document.getElementById('code').textContent.trim())"
    )
    code = page.locator("#code").inner_text().strip()
    screen = devices.pair(
        session, code, devices.ScreenData("TV sảnh", loop.id, *size), None
    )
    session.commit()
    return screen


def _visible_image_ok(page) -> bool:
    return page.evaluate(
        """() => { const img = document.querySelector('#stage img.on');
                   return !!img && img.complete && img.naturalWidth > 0; }"""
    )


def _durations(log: list[list[Any]]) -> list[tuple[str, float]]:
    return [(log[i][1], log[i + 1][0] - log[i][0]) for i in range(len(log) - 1)]


def test_pair_play_update_offline_and_proof_of_play_exactly_once(
    page, live_server, session, app
):
    loop = _loop(session, app, [1000, 1500, 2000])
    ids = [str(s.id) for s in loop.slides]
    expected = dict(zip(ids, [1000, 1500, 2000], strict=True))
    page.goto(f"{live_server.url}/play")
    screen = _pair(page, session, loop)
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    page.evaluate(OBSERVE)
    page.wait_for_timeout(7_000)

    # Order and timing: after the first change, slides cycle 1, 2, 3 and each lasts
    # its duration within 10 %.
    log = page.evaluate("window.__log")
    shown = _durations(log)
    assert len(shown) >= 4, log
    start = ids.index(shown[0][0])
    assert [s for s, _d in shown] == [
        ids[(start + i) % 3] for i in range(len(shown))
    ], shown
    for slide_id, ms in shown:
        assert abs(ms - expected[slide_id]) <= 0.1 * expected[slide_id], shown
    assert _visible_image_ok(page)

    # A new version arrives within one poll (1 s here) plus the slide on screen.
    loop.slides[0].title = "Phiên bản mới"
    session.commit()
    version = services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    page.wait_for_function(
        f"() => document.body.dataset.version === '{version.hash}'",
        timeout=1_000 + 2_500,
    )

    # The server goes away: playback continues from the caches, never blank.
    live_server.stop()
    page.evaluate("window.__log = []")
    page.wait_for_timeout(4_000)
    offline = page.evaluate("window.__log")
    assert len(offline) >= 2, offline  # the longest slide is 2 s
    assert _visible_image_ok(page)
    queued = page.evaluate("window.signagePlayer.state.queue.length")
    assert queued >= 2
    snapshot = page.evaluate(
        "JSON.parse(JSON.stringify(window.signagePlayer.state.queue))"
    )

    # Back online: the queue drains and every play is stored exactly once...
    live_server.start()
    page.wait_for_function(
        "() => window.signagePlayer.state.queue.length === 0", timeout=10_000
    )
    recorded = page.evaluate("window.signagePlayer.state.recorded")
    stored = session.scalar(
        select(func.count())
        .select_from(PlayRecord)
        .where(PlayRecord.screen_id == screen.id)
    )
    # (the slide on screen may have ended and been recorded since the queue drained)
    assert recorded - 1 <= stored <= recorded
    uids = set(session.scalars(select(PlayRecord.uid)))
    assert {p["id"] for p in snapshot} <= uids
    # ...even when the same batch is sent again (a lost response).
    again = page.evaluate(
        """async (plays) => {
             const r = await fetch('/play/api/plays', {method: 'POST',
               headers: {
                 'Content-Type': 'application/json',
                 Authorization: 'Bearer ' + localStorage.getItem('signage.key')},
               body: JSON.stringify({plays})});
             return r.json(); }""",
        snapshot,
    )
    assert again["accepted"] == 0 and again["duplicates"] == len(snapshot)
    assert session.scalar(select(func.count()).select_from(PlayRecord)) == stored

    # The portal sees the screen online with the new version.
    seen = session.get(Screen, screen.id)
    session.refresh(seen)
    assert seen.version_hash == version.hash and seen.last_seen_at is not None


def test_reload_while_offline_keeps_playing_from_the_caches(
    page, live_server, session, app
):
    loop = _loop(session, app, [300, 300, 300])
    page.goto(f"{live_server.url}/play")
    _pair(page, session, loop)
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    # The service worker controls the page and every slide is in Cache Storage.
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=10_000
    )
    page.wait_for_function(
        """async () => { const c = await caches.open('signage-media-v1');
                         return (await c.keys()).length === 4; }""",
        timeout=10_000,
    )
    live_server.stop()
    page.reload()
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    page.evaluate(OBSERVE)
    page.wait_for_timeout(2_000)
    assert len(page.evaluate("window.__log")) >= 4
    assert _visible_image_ok(page)
    live_server.start()


def _publish(session, app, slides: list[dict[str, Any]]):
    loop = services.create_loop(session, "Lịch chiếu", None)
    for spec in slides:
        services.add_slide(
            session,
            loop,
            services.SlideData(SlideKind.POSTER, limits=(10, 3_600_000), **spec),
        )
    session.expire(loop, ["slides"])
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    return loop


def test_schedules_are_evaluated_on_the_screen(page, live_server, session, app):
    now = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"]))
    m = now.hour * 60 + now.minute
    today = now.date()
    loop = _publish(
        session,
        app,
        [
            {"title": "Luôn chiếu", "duration_ms": 300},
            # A window later today: not now.
            {
                "title": "Buổi khác",
                "duration_ms": 300,
                "window_start": (m + 60) % 1440,
                "window_end": (m + 120) % 1440,
            },
            # A window that crosses midnight and covers now.
            {
                "title": "Qua nửa đêm",
                "duration_ms": 300,
                "window_start": (m + 60) % 1440,
                "window_end": (m + 30) % 1440,
            },
            {
                "title": "Đã hết hạn",
                "duration_ms": 300,
                "end_date": today - timedelta(days=1),
            },
            {
                "title": "Chưa tới",
                "duration_ms": 300,
                "start_date": today + timedelta(days=1),
            },
            {
                "title": "Ngày khác",
                "duration_ms": 300,
                "weekdays": 0b1111111 & ~(1 << today.weekday()),
            },
        ],
    )
    ids = [str(s.id) for s in loop.slides]
    page.goto(f"{live_server.url}/play")
    _pair(page, session, loop)
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    page.evaluate(OBSERVE)
    page.wait_for_timeout(2_500)
    shown = {entry[1] for entry in page.evaluate("window.__log")}
    assert shown == {ids[0], ids[2]}, shown


def test_nothing_scheduled_shows_the_fallback_slide(page, live_server, session, app):
    today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    loop = _publish(
        session,
        app,
        [{"title": "Ngày khác", "weekdays": 0b1111111 & ~(1 << today.weekday())}],
    )
    page.goto(f"{live_server.url}/play")
    _pair(page, session, loop)
    page.wait_for_function("() => document.body.dataset.slide === '0'", timeout=10_000)
    assert _visible_image_ok(page)
    src = page.evaluate("document.querySelector('#stage img.on').getAttribute('src')")
    assert src.startswith("/play/fallback/1280x720/")


def test_unpaired_or_revoked_screen_shows_a_code_never_a_blank(
    page, live_server, session, app
):
    loop = _loop(session, app, [500])
    page.goto(f"{live_server.url}/play")
    screen = _pair(page, session, loop)
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    devices.revoke(session, session.get(Screen, screen.id))
    session.commit()
    page.wait_for_function(
        "() => document.getElementById('pairing').classList.contains('show')",
        timeout=5_000,
    )
    # Paired again (a new key), it plays again without a reload.
    page.evaluate("delete document.body.dataset.slide")
    _pair(page, session, loop)
    page.wait_for_function(
        "() => document.body.dataset.slide !== undefined", timeout=10_000
    )
    assert _visible_image_ok(page)


def test_soak_1000_transitions_heap_stays_flat(page, live_server, session, app):
    loop = _loop(session, app, [10, 10, 10])
    page.goto(f"{live_server.url}/play")
    _pair(page, session, loop, size=(640, 360))
    cdp = page.context.new_cdp_session(page)

    def transitions() -> int:
        return int(page.evaluate("window.signagePlayer.state.transitions"))

    def heap() -> float:
        cdp.send("HeapProfiler.collectGarbage")
        return float(cdp.send("Runtime.getHeapUsage")["usedSize"])

    page.wait_for_function(
        "() => window.signagePlayer.state.transitions >= 100", timeout=20_000
    )
    base = heap()
    started = time.monotonic()
    page.wait_for_function(
        "() => window.signagePlayer.state.transitions >= 1100",
        timeout=50_000,
        polling=500,
    )
    end = heap()
    elapsed = time.monotonic() - started
    assert transitions() >= 1100
    assert end <= base * 1.2, f"heap grew from {base:.0f} to {end:.0f} bytes"
    assert _visible_image_ok(page)
    print(
        f"soak: 1000 transitions in {elapsed:.1f} s, heap {base:.0f} -> {end:.0f} bytes"
    )


def _video_loop(session, app, tmp_path):
    """A published loop: a poster (0.8 s), then a 2-second film (transcoded as the
    upload job does)."""
    from signage.screens import video

    from ..screens.test_video import make_video, stored_film

    clip = make_video(tmp_path / "clip.mov", 2.0)
    media = stored_film(
        session, app, "b", lambda path: video.transcode(clip, path, 2.0), 2000
    )
    loop = services.create_loop(session, "Có video", None)
    services.add_slide(
        session,
        loop,
        services.SlideData(
            SlideKind.POSTER, title="Trước video", duration_ms=800, limits=(10, 10**7)
        ),
    )
    services.add_slide(
        session,
        loop,
        services.SlideData(
            SlideKind.VIDEO,
            title="Phim",
            media_id=media.id,
            duration_ms=2000,
            limits=(10, 10**7),
        ),
    )
    session.expire(loop, ["slides"])
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    return loop, media.size_bytes


def test_a_video_slide_plays_from_the_cache_with_the_network_cut(
    page, live_server, session, app, tmp_path
):
    loop, size = _video_loop(session, app, tmp_path)
    poster_id, video_id = (str(s.id) for s in loop.slides)
    page.goto(f"{live_server.url}/play")
    _pair(page, session, loop)
    page.wait_for_function(
        "() => navigator.serviceWorker.controller !== null", timeout=10_000
    )
    # (wait_for_function would take an async function's promise as true at once)
    cached = """async () => (await (await caches.open('signage-media-v1')).keys())
                 .map(r => new URL(r.url).pathname)"""
    deadline = time.monotonic() + 15
    while not any("/play/video/" in u for u in page.evaluate(cached)):
        assert time.monotonic() < deadline, page.evaluate(cached)
        page.wait_for_timeout(200)
    # Bounded: the manifest gives the film's size and the budget; a film larger
    # than what is left of the budget is not kept.
    manifest = page.evaluate("window.signagePlayer.state.manifest")
    (film,) = [s for s in manifest["slides"] if s.get("type") == "video"]
    assert film["video_bytes"] == size > 0
    assert manifest["video_cache_bytes"] == 1024 * 1024 * 1024
    pick = "([m, b]) => window.signagePlayer.videoUrls(m, b)"
    assert page.evaluate(pick, [manifest, size]) == [film["video"]]
    assert page.evaluate(pick, [manifest, size - 1]) == []

    # The network goes: the page is reloaded (nothing in memory) and the film still
    # plays, from Cache Storage through the worker's byte ranges, then the loop goes on.
    # The browser's HTTP cache (which a TV stick evicts first) is emptied, so only
    # Cache Storage can answer.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    live_server.stop()
    try:
        page.reload()
        page.wait_for_function(
            f"() => document.body.dataset.slide === '{video_id}'", timeout=15_000
        )
        page.wait_for_function(
            """() => { const v = document.getElementById('video');
                       return v.classList.contains('on') && !v.paused
                              && v.currentTime > 0.5; }""",
            timeout=5_000,
        )
        page.wait_for_function(
            f"() => document.body.dataset.slide === '{poster_id}'", timeout=5_000
        )
        history = page.evaluate("window.signagePlayer.state.history")
        at = max(i for i, h in enumerate(history) if str(h["id"]) == video_id)
        shown = (history[at + 1]["at"] - history[at]["at"]) / 1000
        assert 1.8 <= shown <= 2.6, shown  # the whole film, not a skip
    finally:
        live_server.start()
