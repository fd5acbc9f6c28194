from __future__ import annotations

import pytest

from signage import ConfigError, create_app
from signage.crypto import new_key


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": True}


def test_healthz_reports_a_database_that_does_not_answer(app, client):
    from sqlalchemy import text

    from signage.db import BareQuery, get_db, make_engine

    gone = make_engine("sqlite:////nonexistent/dir/x.db")
    get_db(app).engine, get_db(app).health = gone, BareQuery(text("SELECT 1"), gone)
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "error", "database": False}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"SECRET_KEY": "short", "PUBLIC_BASE_URL": "https://qr.example.vn"},
        {"SECRET_KEY": "x" * 40, "PUBLIC_BASE_URL": ""},
        {"SECRET_KEY": "x" * 40, "PUBLIC_BASE_URL": "http://insecure.example.vn"},
        # No data key (names and phones could not be encrypted), or not a key.
        {"SECRET_KEY": "x" * 40, "PUBLIC_BASE_URL": "https://qr.example.vn"},
        {
            "SECRET_KEY": "x" * 40,
            "PUBLIC_BASE_URL": "https://qr.example.vn",
            "DATA_KEY": "not-a-key",
        },
    ],
)
def test_production_refuses_to_start_without_real_secrets(overrides):
    with pytest.raises(ConfigError):
        create_app({"ENV": "production", **overrides})


def test_production_starts_with_real_settings():
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "k" * 48,
            "PUBLIC_BASE_URL": "https://qr.hue.gov.vn/",
            "DATA_KEY": new_key(),
            "SMTP_URL": "smtps://signage:secret@mail.hue.gov.vn",
        }
    )
    assert app.config["PUBLIC_BASE_URL"] == "https://qr.hue.gov.vn"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_variables_override_defaults(monkeypatch):
    monkeypatch.setenv("SIGNAGE_RETENTION_DAYS", "14")
    monkeypatch.setenv("SIGNAGE_ENV", "development")
    app = create_app()
    assert app.config["RETENTION_DAYS"] == 14


def test_unknown_page_is_vietnamese_404(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "Không tìm thấy" in resp.get_data(as_text=True)


def test_english_switch_sets_cookie_and_translates(client):
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Đăng nhập" not in page
    resp = client.get("/no-such-page")
    assert "Not found" in resp.get_data(as_text=True)
    client.get("/lang/vi")
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_language_switch_is_not_an_open_redirect(client):
    resp = client.get("/lang/en?next=//evil.example")
    assert resp.headers["Location"] == "/"


def test_every_catalogue_is_translated_into_english():
    """Every area's catalogue (scripts/messages.sh): no message left untranslated
    or fuzzy, placeholders kept."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).parents[2] / "signage"
    catalogues = sorted(root.glob("**/translations/en/LC_MESSAGES/messages.po"))
    assert len(catalogues) > 10
    for path in catalogues:
        with path.open("rb") as f:
            catalogue = read_po(f, locale="en")
        for m in catalogue:
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            assert all(strings) and not m.fuzzy, (path, m.id)
            wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
            assert all(wanted <= set(re.findall(r"%\(\w+\)s", s)) for s in strings), (
                path,
                m.id,
            )
