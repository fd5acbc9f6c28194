"""Two app hosts behind one load balancer: two gunicorn servers, each with its own
instance folder (render cache, local files), sharing one PostgreSQL, one Redis (rate
limits, the job queue) and one storage folder (what users upload and jobs produce;
in production a shared mount).

- an image uploaded through host A plays on a screen that polls host B;
- a board batch asked for on host A is done by the job consumer beside host B and
  downloaded from host A;
- the per-address check-in limit holds across both hosts.

Needs PostgreSQL (SIGNAGE_TEST_DATABASE_URL) and Redis (SIGNAGE_TEST_REDIS_URL); CI's
PostgreSQL run has both.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from PIL import Image
from sqlalchemy import select

from signage.accounts.models import Role
from signage.screens import devices, services
from signage.screens.models import Loop

from .conftest import PG_URL
from .helpers import DATA_KEY, PASSWORD
from .ratelimit.conftest import REDIS_URL
from .ratelimit.test_gunicorn import checkins, gunicorn

ROOT = Path(__file__).resolve().parents[1]
PER_IP = 40  # a low per-address figure, so the test sends few requests

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (PG_URL and REDIS_URL), reason="needs PostgreSQL and Redis (CI has both)"
    ),
]


def _shared_env(tmp_path: Path) -> dict[str, str]:
    redis = REDIS_URL.rsplit("/", 1)[0]
    return {
        "SIGNAGE_RATELIMIT_STORAGE_URI": f"{redis}/0",
        "SIGNAGE_JOBS_URL": f"{redis}/1",
        "SIGNAGE_STORAGE_DIR": str(tmp_path / "shared"),
        "SIGNAGE_SECRET_KEY": "two-hosts-test-secret-key-0123456789abcdef",
        "SIGNAGE_DATA_KEY": DATA_KEY,
        "SIGNAGE_CHECKIN_LIMIT_PER_IP": f"{PER_IP} per 10 minutes",
        "SIGNAGE_SCREENS_POLL_SECONDS": "2",
        # Plain http on 127.0.0.1 here (the proxy terminates TLS in production).
        "SIGNAGE_SESSION_COOKIE_SECURE": "false",
    }


def _host(tmp_path: Path, name: str) -> dict[str, str]:
    return {**_shared_env(tmp_path), "SIGNAGE_INSTANCE_PATH": str(tmp_path / name)}


@contextmanager
def consumer(db_url: str, env: dict[str, str], log: Path) -> Iterator[None]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SIGNAGE_") or k.startswith("SIGNAGE_TEST_")
    }
    environ.update(
        SIGNAGE_ENV="production",
        SIGNAGE_PUBLIC_BASE_URL="https://qr.example.vn",
        SIGNAGE_SMTP_URL="smtp://127.0.0.1:25",
        SIGNAGE_DATABASE_URL=db_url,
        **env,
    )
    flask = str(Path(sys.executable).with_name("flask"))
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [flask, "--app", "wsgi", "jobs", "consume", "--no-periodic"],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _browser(port: int, email: str) -> requests.Session:
    """A logged-in browser on one host."""
    web = requests.Session()
    web.headers["Origin"] = f"http://127.0.0.1:{port}"
    page = web.get(f"http://127.0.0.1:{port}/login", timeout=30).text
    resp = web.post(
        f"http://127.0.0.1:{port}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page)},
        allow_redirects=False,
        timeout=30,
    )
    assert resp.status_code == 302, resp.text[:500]
    return web


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _png(colour: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 360), colour).save(buf, "PNG")
    return buf.getvalue()


def test_an_image_uploaded_on_one_host_plays_on_a_screen_of_the_other(
    db_url, session, make_user, tmp_path
):
    editor = make_user(Role.EDITOR)
    loop = services.create_loop(session, "Hai máy chủ", None)
    session.commit()
    code, key = devices.start_pairing(session, 30)
    devices.pair(session, code, devices.ScreenData("TV sảnh", loop.id, 640, 360), None)
    session.commit()
    colour = (200, 30, 60)
    with (
        gunicorn(db_url, tmp_path / "a.log", 2, **_host(tmp_path, "a")) as a,
        gunicorn(db_url, tmp_path / "b.log", 2, **_host(tmp_path, "b")) as b,
    ):
        web = _browser(a, editor.email)
        url = f"http://127.0.0.1:{a}/screens/loops/{loop.id}/slides/new?kind=image"
        resp = web.post(
            url,
            data={
                "csrf_token": _csrf(web.get(url, timeout=30).text),
                "duration": "10",
                "background": "#000000",
                "foreground": "#ffffff",
                "weekdays": [str(i) for i in range(7)],
                "enabled": "y",
            },
            files={"image": ("anh.png", _png(colour), "image/png")},
            allow_redirects=False,
            timeout=60,
        )
        assert resp.status_code == 302, resp.text[:1000]
        page = f"http://127.0.0.1:{a}/screens/loops/{loop.id}"
        resp = web.post(
            f"{page}/publish",
            data={"csrf_token": _csrf(web.get(page, timeout=30).text)},
            allow_redirects=False,
            timeout=60,
        )
        assert resp.status_code == 302, resp.text[:1000]

        screen = requests.Session()
        screen.headers["Authorization"] = f"Bearer {key}"
        manifest = screen.get(f"http://127.0.0.1:{b}/play/api/manifest", timeout=30)
        assert manifest.status_code == 200
        slides = manifest.json()["slides"]
        assert len(slides) == 1
        image = screen.get(f"http://127.0.0.1:{b}{slides[0]['src']}", timeout=60)
        assert image.status_code == 200, image.text[:500]
        shown = Image.open(io.BytesIO(image.content)).convert("RGB")
        assert shown.size == (640, 360)
        pixel = shown.getpixel((320, 180))
        assert all(abs(p - c) < 16 for p, c in zip(pixel, colour, strict=True)), pixel
    # Host B rendered it into its own cache; host A's cache stayed empty.
    assert list((tmp_path / "b" / "renders").rglob("*.jpg"))
    assert not list((tmp_path / "a" / "renders").rglob("*.jpg"))
    assert session.scalar(select(Loop.id).where(Loop.id == loop.id)) == loop.id


def _campaign_set(session, tmp_path: Path) -> None:
    """The province's campaign identity, logo in the shared storage: production
    prints no board while a placeholder is in force."""
    from signage.campaign import services as campaign
    from signage.posters.services import default_logo

    from .campaign.test_settings import HUE

    key = "campaign/logo-two-hosts.png"
    (tmp_path / "shared" / "campaign").mkdir(parents=True, exist_ok=True)
    (tmp_path / "shared" / key).write_bytes(default_logo())
    campaign.save(session, campaign.clean(HUE), logo_key=key)
    session.commit()


def test_a_job_asked_on_one_host_is_done_beside_the_other_and_downloaded(
    db_url, session, make_user, make_venue, make_org, tmp_path
):
    _campaign_set(session, tmp_path)
    org = make_org()
    for n in range(3):
        make_venue(org, name=f"Phòng {n + 1}")
    manager = make_user(Role.MANAGER, org)
    with (
        gunicorn(db_url, tmp_path / "a.log", 2, **_host(tmp_path, "a")) as a,
        gunicorn(db_url, tmp_path / "b.log", 2, **_host(tmp_path, "b")),
        consumer(db_url, _host(tmp_path, "b"), tmp_path / "consumer.log"),
    ):
        web = _browser(a, manager.email)
        home = web.get(f"http://127.0.0.1:{a}/orgs/{org.id}/", timeout=30).text
        resp = web.post(
            f"http://127.0.0.1:{a}/orgs/{org.id}/boards.pdf",
            data={"size": "a4", "csrf_token": _csrf(home)},
            allow_redirects=False,
            timeout=30,
        )
        assert resp.status_code in (302, 303), resp.text[:500]
        job_url = f"http://127.0.0.1:{a}{resp.headers['Location']}"
        deadline = time.monotonic() + 120
        while True:
            state = web.get(
                job_url, headers={"Accept": "application/json"}, timeout=30
            ).json()
            if state["state"] in ("done", "failed", "cancelled"):
                break
            assert time.monotonic() < deadline, state
            time.sleep(0.5)
        assert state["state"] == "done", state
        assert state["done"] == state["total"] == 3
        pdf = web.get(f"http://127.0.0.1:{a}{state['download']}", timeout=60)
        assert pdf.status_code == 200
        assert pdf.content.startswith(b"%PDF")
    consumer_log = (tmp_path / "consumer.log").read_text(errors="replace")
    assert "Traceback" not in consumer_log, consumer_log[-2000:]


def test_the_per_address_check_in_limit_holds_across_hosts(
    db_url, make_venue, tmp_path
):
    boards = [make_venue() for _ in range(2)]
    with (
        gunicorn(db_url, tmp_path / "a.log", 2, **_host(tmp_path, "a")) as a,
        gunicorn(db_url, tmp_path / "b.log", 2, **_host(tmp_path, "b")) as b,
    ):
        sent = PER_IP * 3 // 2
        counts = checkins([a, b], boards[0].token, ["127.0.0.9"], sent // 2)
        counts += checkins([b, a], boards[1].token, ["127.0.0.9"], sent // 2)
    assert counts[303] + counts[429] == sent, counts
    assert abs(counts[303] - PER_IP) <= PER_IP * 0.1, counts
