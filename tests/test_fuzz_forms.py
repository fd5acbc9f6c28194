"""Random text posted to every form of every route never answers 500.

The walk uses the routes and URL arguments of tests/test_isolation.py, so forms added
later are fuzzed without editing this file. Field names come from the form page (GET of
the same URL) and a few generic names; values are arbitrary Unicode (controls,
zero-width, combining marks, astral planes, long strings), random bytes as files.
"""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import login
from .test_isolation import PUBLIC, RULES, _csrf, _roles, _url, _values, world  # noqa: F401

POST_RULES = [r for r in RULES if "POST" in r[2]]
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\sname="([^"]+)"')
_FILE = re.compile(r'type="file"[^>]*name="([^"]+)"|name="([^"]+)"[^>]*type="file"')
GENERIC = ["name", "q", "payload", "reason", "message"]

texts = st.one_of(
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "99999999999999999999",
            '=HYPERLINK("http://x")',
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "Nha\u0300 va\u0306n ho\u0301a",
            "\u200b\u202e\x00\x1b",
            "１２３",
            "x" * 10_000,
        ]
    ),
)


def _who(app, endpoint, world):  # noqa: F811
    roles = _roles(app, endpoint)
    if endpoint in PUBLIC or roles is None:
        return None
    for name, user in world.users.items():
        if user.role in roles and (name != "other_manager"):
            return user
    return None


@pytest.mark.parametrize(("endpoint", "rule", "methods"), POST_RULES)
def test_random_form_input_never_answers_500(app, world, endpoint, rule, methods):  # noqa: F811
    values = _values(app, endpoint, rule, world)
    url = _url(app, endpoint, values)
    user = _who(app, endpoint, world)

    fields: set[str] = set(GENERIC)
    files: set[str] = set()
    probe = app.test_client()
    if user is not None:
        login(probe, user)
    if "GET" in methods:
        page = probe.get(url).get_data(as_text=True)
        fields |= set(_FIELD.findall(page)) - {"csrf_token"}
        files = {a or b for a, b in _FILE.findall(page)}
    fields -= files
    names = sorted(fields)
    # Every example posts from a fresh client holding the probe's signed-in session
    # cookie and its CSRF token, as a second tab of one browser would: signing in
    # again per example (three requests and a password hash) was most of this test's
    # time, and the fuzzed value is what reaches the form either way.
    token = _csrf(probe)
    cookie = probe.get_cookie(app.config["SESSION_COOKIE_NAME"])

    @settings(
        max_examples=12,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.fixed_dictionaries({n: texts for n in names}),
        st.binary(max_size=2000),
    )
    def post(data, blob):
        client = app.test_client()
        if cookie is not None:
            client.set_cookie(cookie.key, cookie.value)
        form = {**data, "csrf_token": token}
        for f in files:
            form[f] = (io.BytesIO(blob), "x.csv")
        resp = client.post(url, data=form, content_type="multipart/form-data")
        # A form may answer with a download (an export given its reason, the board
        # preview's PNG): only text is read for an echoed script.
        raw = resp.get_data()
        resp.close()  # a streamed download ends here, in its own request context
        textual = resp.mimetype.startswith("text/") or resp.is_json
        body = raw.decode() if textual else ""
        assert resp.status_code < 500, f"POST {url} {data!r}: {resp.status_code}"
        assert "<script>alert(1)</script>" not in body

    post()
    if user is not None:
        # The session outlived every example (none signed it out), so each one was
        # posted signed in, as the route's role.
        resp = probe.get(url if "GET" in methods else "/account/password")
        assert not (
            resp.status_code == 302 and "/login" in resp.headers.get("Location", "")
        ), f"an example on {url} ended the session: later ones ran signed out"
        resp.close()


# Malformed structure ------------------------------------------------------------------
# Not odd values but odd bodies: a multipart part without a name (Werkzeug files it
# under None, which crashed Flask-WTF's CSRF check on every protected form), broken
# multipart framing, JSON nested past Python's recursion limit (RecursionError, not
# ValueError) and JSON of the wrong shape. Every route answers 4xx; the two that the
# parser itself refuses answer 400 wherever a body is read.

_B = "fuzzboundary"
_NAMELESS = (
    f"--{_B}\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
    f'--{_B}\r\nContent-Disposition: form-data; name="name"\r\n\r\nAn\r\n--{_B}--\r\n'
).encode()
# Deep enough to exhaust Python's recursion, small enough for every body limit.
_DEEP_JSON = b'{"a":' * 1500 + b"1" + b"}" * 1500
_DEEP_LIST = b"[" * 3000 + b"]" * 3000
BODIES = {
    "nameless part": (_NAMELESS, f"multipart/form-data; boundary={_B}"),
    "nameless file part": (
        f'--{_B}\r\nContent-Disposition: form-data; filename="x.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\na,b\r\n--{_B}--\r\n".encode(),
        f"multipart/form-data; boundary={_B}",
    ),
    "no boundary": (_NAMELESS, "multipart/form-data"),
    "truncated multipart": (_NAMELESS[:60], f"multipart/form-data; boundary={_B}"),
    "garbage multipart": (b"\x00\xff" * 300, f"multipart/form-data; boundary={_B}"),
    "deep JSON object": (_DEEP_JSON, "application/json"),
    "deep JSON list": (_DEEP_LIST, "application/json"),
    "JSON list": (b"[1, 2, 3]", "application/json"),
    "JSON scalar": (b'"x"', "application/json"),
    "broken JSON": (b'{"plays": [', "application/json"),
    "JSON as a form": (_DEEP_JSON, "application/x-www-form-urlencoded"),
}
# A part with no name is refused wherever a form is read (every form: the JSON
# endpoints read none), JSON nested too deeply wherever JSON is read (the API, the
# player's proof of play).
NAMELESS = {"nameless part", "nameless file part"}
DEEP = {"deep JSON object", "deep JSON list"}
JSON_ONLY = ("/api/", "/play/api/")
READS_JSON = ("/api/", "/play/api/plays")


def _keys(world) -> dict[str, str]:  # noqa: F811
    """Bearer keys that get past authentication: an API client allowed both scopes
    and a paired screen, so the bodies reach the code that reads them."""
    from sqlalchemy.orm import object_session

    from signage.api import services as api
    from signage.api.models import Scope
    from signage.screens import devices

    from .test_isolation import _screens

    s = object_session(world.org)
    _client, api_key = api.create_client(
        s, "Fuzz", [Scope.VENUES_READ, Scope.CHECKINS_WRITE]
    )
    loop = _screens(world)["loop"]
    code, screen_key = devices.start_pairing(s, 30)
    devices.pair(s, code, devices.ScreenData("Fuzz TV", loop.id, 1280, 720), None)
    s.commit()
    return {"/api/": api_key, "/play/": screen_key}


@pytest.mark.parametrize(("endpoint", "rule", "methods"), POST_RULES)
def test_malformed_bodies_never_answer_500(app, world, endpoint, rule, methods):  # noqa: F811
    values = _values(app, endpoint, rule, world)
    url = _url(app, endpoint, values)
    user = _who(app, endpoint, world)
    client = app.test_client()
    if user is not None:
        login(client, user)
    keys = [key for prefix, key in _keys(world).items() if url.startswith(prefix)]
    headers = {"Authorization": f"Bearer {keys[0]}"} if keys else {}
    for what, (body, content_type) in BODIES.items():
        resp = client.post(url, data=body, content_type=content_type, headers=headers)
        assert resp.status_code < 500, (url, what, resp.status_code)
        refused = (what in NAMELESS and not url.startswith(JSON_ONLY)) or (
            what in DEEP and url.startswith(READS_JSON)
        )
        if refused:
            assert resp.status_code == 400, (url, what, resp.status_code)
