"""Every page of the shared layout carries the official header (authority, campaign
title, logo) from the campaign settings; error pages keep it, from the configured
values, while the database cannot answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from signage import create_app
from signage.accounts.models import Role
from signage.campaign import services as campaign

from ..conftest import base_config
from ..helpers import login

_HEADER = re.compile(
    r'class="official"[^>]*>\s*(?:<div[^>]*>)?\s*<img src="([^"]+)".*?'
    r'class="auth">([^<]*)<.*?class="camp">([^<]*)<',
    re.S,
)


def _header(html: str) -> str:
    """The header's logo address, authority and title (either layout)."""
    match = _HEADER.search(html)
    assert match, "no official header on the page"
    return " ".join(match.groups())


def _save_identity(session, **values) -> None:
    base = {name: "" for name in campaign.FORM_FIELDS}
    base["deadline"] = ""
    campaign.save(session, campaign.clean({**base, **values}))
    session.commit()


@pytest.mark.parametrize(
    "path", ["/", "/login", "/forgot", "/register", "/the", "/no-such-page"]
)
def test_public_pages_show_the_campaign_settings_not_the_config(
    app, client, session, path
):
    _save_identity(
        session,
        authority="UBND tỉnh Thừa Thiên Huế",
        title="Chiến dịch mã QR Huế",
        color="#7a1f5c",
    )
    resp = client.get(path)
    html = resp.get_data(as_text=True)
    header = _header(html)
    assert "UBND tỉnh Thừa Thiên Huế" in header and "Chiến dịch mã QR Huế" in header
    assert app.config["CAMPAIGN_AUTHORITY"] not in header
    assert header.startswith("/campaign/logo ")
    assert "background:#7a1f5c" in html


@pytest.mark.parametrize(
    ("url", "scan_status"),
    [
        # A SQLite file in a directory that does not exist: a misconfiguration, 500.
        ("sqlite:///{tmp}/missing/dir/signage.db", 500),
        # A PostgreSQL server that is not there (nothing listens on port 9): 503.
        ("postgresql+psycopg://postgres@127.0.0.1:9/signage?connect_timeout=2", 503),
    ],
)
def test_error_pages_render_with_the_configured_header_while_the_database_is_down(
    tmp_path: Path, url: str, scan_status: int
):
    cfg = base_config(tmp_path, url.format(tmp=tmp_path))
    cfg["CAMPAIGN_AUTHORITY"] = "UBND tỉnh (cấu hình)"
    cfg["CAMPAIGN_TITLE"] = "Tiêu đề từ cấu hình"
    app = create_app(cfg)
    client = app.test_client()
    for path, status in (("/no-such-page", 404), ("/C/ABCDEFGHJK", scan_status)):
        resp = client.get(path)
        assert resp.status_code == status, (path, resp.status_code)
        html = resp.get_data(as_text=True)
        header = _header(html)
        assert header == "/campaign/logo UBND tỉnh (cấu hình) Tiêu đề từ cấu hình", (
            path,
            header,
        )
        assert f'class="error-code">{status}<' in html


def test_signed_in_staff_get_the_error_page_while_the_database_is_down(
    app, client, make_user, tmp_path: Path
):
    """The layout asks who is signed in (a query): with the database down the
    page is drawn as for a visitor instead of failing."""
    login(client, make_user(Role.ADMIN))
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    cfg = base_config(tmp_path, "postgresql+psycopg://postgres@127.0.0.1:9/signage")
    cfg["SECRET_KEY"] = app.config["SECRET_KEY"]
    cfg["CAMPAIGN_AUTHORITY"] = "UBND tỉnh (cấu hình)"
    down = create_app(cfg).test_client()
    down.set_cookie(cookie.key, cookie.value)
    for path in ("/no-such-page", "/admin/orgs"):
        resp = down.get(path)
        html = resp.get_data(as_text=True)
        assert resp.status_code in (404, 503), (path, resp.status_code)
        assert f'class="error-code">{resp.status_code}<' in html
        assert "UBND tỉnh (cấu hình)" in _header(html)
