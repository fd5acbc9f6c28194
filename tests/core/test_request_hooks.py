"""What every request pays for (signage/web.py): public pages skip the hooks they do
not use and keep every protection."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from signage.accounts.models import Role
from tests.helpers import DATA_KEY, login


def _set_cookies(resp):
    return resp.headers.getlist("Set-Cookie")


def test_public_pages_open_no_session_and_keep_security_headers(
    app, client, make_venue
):
    session = app.config["SESSION_COOKIE_NAME"]
    venue = make_venue()
    for url in (f"/C/{venue.token}", "/healthz", "/C"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert not any(c.startswith(f"{session}=") for c in _set_cookies(resp)), url
        h = resp.headers
        assert h["X-Frame-Options"] == "DENY"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert client.get(f"/C/{venue.token}").headers["Cache-Control"] == "no-store"


def test_a_view_keeps_the_headers_it_set(client):
    resp = client.get("/play/sw.js")
    resp.close()
    assert resp.headers["Cache-Control"] == "no-cache"
    assert resp.headers.getlist("X-Frame-Options") == ["DENY"]


def test_portal_sessions_still_work(app, client, make_user):
    assert client.get("/").status_code == 200  # anonymous: the landing page
    login(client, make_user(role=Role.ADMIN))
    assert client.get_cookie(app.config["SESSION_COOKIE_NAME"]) is not None
    assert client.get("/").status_code == 302  # the session is read back: home


def test_flask_limiter_still_runs_for_views_it_limits(client):
    # POST /play/api/pair has a Flask-Limiter limit: its after-request hook adds the
    # headers; a lean public view gets none.
    resp = client.post("/play/api/pair")
    assert resp.status_code == 200
    assert "X-RateLimit-Limit" in resp.headers
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers


def test_global_hooks_run_as_the_apps_own_step_not_through_flasks_lists(
    app, client, make_user
):
    """Flask's global hook lists stay empty (Signage runs web.RequestHooks ahead of
    them), and what was in them still happens: the CSRF check on a portal POST,
    Flask-Login's session, hooks registered later in Flask's own lists."""
    for hooks in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
    ):
        assert not any(hooks.values()), hooks
    seen = []
    app.after_request(lambda resp: seen.append(resp.status_code) or resp)
    app.teardown_request(lambda exc: seen.append("teardown"))
    client.get("/healthz")
    assert seen == [200, "teardown"]

    login(client, make_user(role=Role.ADMIN))
    assert client.post("/admin/campaign", data={"title": "x"}).status_code == 400
    assert client.get("/").status_code == 302  # still signed in: home


def test_production_sends_hsts_and_nginx_example_too(tmp_path, client):
    from pathlib import Path

    from signage import create_app

    prod = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "k" * 48,
            "PUBLIC_BASE_URL": "https://qr.hue.gov.vn",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
            "SMTP_URL": "smtps://signage:secret@mail.hue.gov.vn",
            "DATA_KEY": DATA_KEY,
        }
    )
    resp = prod.test_client().get("/no-such-page")
    assert resp.headers.getlist("Strict-Transport-Security") == [
        "max-age=31536000; includeSubDomains"
    ]
    # Development and tests are plain HTTP: no HSTS, or localhost would be pinned.
    assert "Strict-Transport-Security" not in client.get("/no-such-page").headers
    nginx = (Path(__file__).parents[2] / "deploy" / "nginx.conf").read_text()
    assert (
        'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains"'
        " always;" in nginx
    )


def test_csp_allows_no_inline_script_but_the_hashed_clock(app, client):
    """Scripts from our files, and the one inline script the confirmation page
    carries (one request on a slow phone) by the hash of its exact text; nothing
    else inline, no 'unsafe-inline'."""
    csp = client.get("/").headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    clock = (Path(app.static_folder) / "js/clock.js").read_bytes()
    digest = base64.b64encode(hashlib.sha256(clock).digest()).decode()
    assert script_src.split() == ["script-src", "'self'", f"'sha256-{digest}'"]


def test_cookies_query_and_form_answer_as_werkzeug_does(app):
    """web.Request's values (web._Values) answer get() as Werkzeug's MultiDict: the
    first value, the default when absent, a failed conversion as the default; and
    indexing an absent key is still a 400."""
    import pytest
    from werkzeug.exceptions import BadRequestKeyError

    with app.test_request_context(
        "/x?n=5&n=6&w=abc",
        method="POST",
        data={"name": "Hoa", "age": "x"},
        headers={"Cookie": "lang=en; k=1"},
    ):
        from flask import request

        for values in (request.args, request.form, request.cookies):
            assert type(values).__name__ == "_Values"
            assert values.get("absent") is None
            assert values.get("absent", "") == ""
        assert request.args.get("n") == "5" and request.args.getlist("n") == ["5", "6"]
        assert request.args.get("n", type=int) == 5
        assert request.args.get("w", -1, type=int) == -1
        assert (
            request.form.get("name") == "Hoa" and request.form.get("age", 0, int) == 0
        )
        assert request.cookies.get("lang") == "en"
        with pytest.raises(BadRequestKeyError):
            request.form["absent"]


def test_cookies_are_werkzeugs_own_parse(app):
    """web.Request.cookies parses the environ's HTTP_COOKIE (werkzeug.http's WSGI
    parser): the same values as Werkzeug's Request.cookies for ASCII cookies (all of
    ours), quoting and repeated names included, and UTF-8 decoded where Werkzeug's
    sans-IO path leaves the latin-1 of WSGI."""
    from werkzeug.wrappers import Request as WerkzeugRequest

    from signage.web import Request

    def environ(header: str | None) -> dict:
        env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.url_scheme": "http"}
        if header is not None:  # WSGI carries it as latin-1 (PEP 3333)
            env["HTTP_COOKIE"] = header.encode().decode("latin-1")
        return env

    for header in (
        None,
        "",
        "lang=en",
        "a=1; b=2; a=3",
        'ci_k=abc_-9; q="x y"; v=L%C3%AA; w="a\\"b"',
        "broken; =nokey; x=",
    ):
        ours = Request(environ(header)).cookies
        theirs = WerkzeugRequest(environ(header)).cookies
        assert list(ours.items(multi=True)) == list(theirs.items(multi=True)), header
    assert Request(environ("name=Lê_Hoa")).cookies["name"] == "Lê_Hoa"


def test_ensure_sync_answers_as_flask_does(app):
    """Signage.ensure_sync returns a plain def as it is and leaves everything else to
    Flask: the same answer as inspect.iscoroutinefunction, which Flask asks."""
    import functools
    import inspect

    def plain():
        return 1

    async def coroutine():
        return 1

    class Holder:
        def method(self):
            return 1

        async def async_method(self):
            return 1

    wrapped = functools.wraps(plain)(lambda: plain())
    candidates = [
        plain,
        coroutine,
        functools.partial(coroutine),
        Holder().method,
        Holder().async_method,
        wrapped,
    ]
    if hasattr(inspect, "markcoroutinefunction"):  # Python 3.12+
        candidates.append(inspect.markcoroutinefunction(lambda: coroutine()))
    for func in candidates:
        try:
            kept = app.ensure_sync(func) is func
        except RuntimeError:  # Flask's async support needs asgiref: not kept
            kept = False
        assert kept is not inspect.iscoroutinefunction(func), func
    # Every view and hook of the app is a plain def, kept as it is.
    assert (
        app.ensure_sync(app.view_functions["checkin.scan"])
        is (app.view_functions["checkin.scan"])
    )
