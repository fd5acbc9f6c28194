"""A database that cannot answer for now (SQLite busy past its timeout, PostgreSQL
down or restarting): 503 with Retry-After and a page that says to try again in a few
seconds and keeps what was typed, never a 500 and nothing stored half-way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from signage import create_app
from signage.checkin import formtoken
from signage.checkin.models import CheckIn
from signage.db import sqlite_driver

from ..conftest import PG_URL, base_config

BUSY = "thử lại sau ít giây"


@pytest.fixture
def config_overrides():
    return {"SQLITE_BUSY_TIMEOUT_MS": 300}


@pytest.mark.sqlite_only
@pytest.mark.skipif(bool(PG_URL), reason="holds the SQLite file's write lock")
def test_busy_sqlite_answers_503_with_the_form_as_typed(
    client, session, db_url, make_venue, scan
):
    venue = make_venue()
    _resp, hidden = scan(client, venue)
    typed = {
        **hidden,
        "name": "Lương Thị Mai",
        "phone": "0909123456",
        "consent": "y",
        "companion_name": "Lương Bé Bi",
        "companion_phone": "",
    }
    # Another process holds the write lock for longer than the busy timeout.
    holder = sqlite_driver.connect(
        db_url.removeprefix("sqlite:///"), isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        resp = client.post(f"/C/{venue.token}", data=typed)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert resp.status_code == 503
    assert resp.headers["Retry-After"] == "5"
    page = resp.get_data(as_text=True)
    assert BUSY in page
    for value in (
        "Lương Thị Mai",
        "0909123456",
        "Lương Bé Bi",
        hidden["submission_id"],
    ):
        assert f'value="{value}"' in page
    assert re.search(r'name="consent" value="y" checked', page)
    assert session.scalars(select(CheckIn)).all() == []
    # The lock is gone: the same page's form, sent again, checks both in once.
    again = {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1),
        **{k: v for k, v in typed.items() if k != "csrf_token"},
    }
    assert client.post(f"/C/{venue.token}", data=again).status_code == 303
    assert client.post(f"/C/{venue.token}", data=again).status_code == 303
    names = sorted(r.name for r in session.scalars(select(CheckIn)))
    assert names == ["Lương Bé Bi", "Lương Thị Mai"]


def test_database_down_answers_503_everywhere_never_500(tmp_path: Path, closed_port):
    """PostgreSQL not answering (restarting): the scan page, the check-in POST (its
    form comes back as typed) and a confirmation are all 503 with Retry-After."""
    url = f"postgresql://postgres@127.0.0.1:{closed_port}/signage_down"
    app = create_app(base_config(tmp_path, url))
    app.instance_path = str(tmp_path / "instance")
    client = app.test_client()
    key = "k" * 22
    client.set_cookie(formtoken.COOKIE, key, path="/C")
    with app.test_request_context(headers={"Cookie": f"{formtoken.COOKIE}={key}"}):
        token = formtoken.issue()
    assert client.get("/C/ABCDEFGHJK").status_code == 503
    resp = client.post(
        "/C/ABCDEFGHJK",
        data={
            "csrf_token": token,
            "submission_id": "s" * 22,
            "name": "Cao Văn Tùng",
            "phone": "0911222333",
            "consent": "y",
        },
    )
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    page = resp.get_data(as_text=True)
    assert BUSY in page
    assert 'value="Cao Văn Tùng"' in page and 'value="0911222333"' in page
    assert 'action="/C/ABCDEFGHJK"' in page
    # A stale form (the CSRF check fails first) comes back as typed too.
    stale = client.post(
        "/C/ABCDEFGHJK", data={"csrf_token": "stale", "name": "Cao Văn Tùng"}
    )
    assert stale.status_code == 503 and 'value="Cao Văn Tùng"' in stale.text
    confirmation = client.get("/C/ABCDEFGHJK/ok/abcdefghijklmnop")
    assert confirmation.status_code == 503 and "Retry-After" in confirmation.headers
    assert BUSY in confirmation.get_data(as_text=True)


@pytest.fixture
def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
