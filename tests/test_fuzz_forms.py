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
        if user is not None:
            login(client, user)
        form = {**data, "csrf_token": _csrf(client)}
        for f in files:
            form[f] = (io.BytesIO(blob), "x.csv")
        resp = client.post(url, data=form, content_type="multipart/form-data")
        # A binary answer (the campaign page's board preview is a PNG) cannot echo
        # markup; only text is checked for it.
        text = resp.mimetype.startswith("text/") or "json" in resp.mimetype
        body = resp.get_data(as_text=True) if text else ""
        assert resp.status_code < 500, f"POST {url} {data!r}: {resp.status_code}"
        assert "<script>alert(1)</script>" not in body

    post()
