"""Anti-forgery for the public check-in form, without a session.

A resident who scans a board has no account and needs no session; the portal's
CSRF protection (Flask-WTF) would create and sign one on every scan just to hold its
token, and verify it again on every check-in, on the busiest path of the system. This
is the signed double-submit pattern instead:

- the browser holds a random key in a cookie (``ci_k``: HttpOnly, SameSite=Lax, scoped
  to /C, gone when the browser closes; not stored or logged by the server, so it
  identifies nobody);
- the form carries ``<issued, hex>.<MAC(key, issued)>``, valid for
  WTF_CSRF_TIME_LIMIT like the portal's tokens (the MAC is keyed BLAKE2b under a key
  derived from SECRET_KEY).

A forging site can neither read the key nor the page, so it cannot produce a token
that matches. As a second line, a browser's Fetch Metadata (``Sec-Fetch-Site``) or,
without it, its ``Origin`` must name this site. A token issued by Flask-WTF (a form
rendered before this scheme, or a page of the portal) is still accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from base64 import urlsafe_b64encode
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Response, after_this_request
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.http import dump_cookie
from wtforms import ValidationError

from ..extensions import this_app, this_request

COOKIE = "ci_k"
_PATH = "/C"
_KEY = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SALT = b"signage.checkin.form"
_CLOCK_SKEW = 300  # seconds: a token "from the future" within this is a clock step


@lru_cache(maxsize=4)
def _derived(secret: str) -> bytes:
    return hmac.new(secret.encode(), _SALT, hashlib.sha256).digest()


def _mac(key: str, issued: str) -> str:
    """BLAKE2b in its keyed mode, a MAC by design (RFC 7693), in one C call: a third
    of HMAC-SHA256's cost through Python's hmac module (0.95 us against 3.1 us per
    token, timeit), on every scan page and every check-in."""
    digest = hashlib.blake2b(
        f"{key}|{issued}".encode(),
        key=_derived(this_app().config["SECRET_KEY"]),
        digest_size=18,
    ).digest()
    return urlsafe_b64encode(digest).decode()  # 144 bits, 24 characters


def issue() -> str:
    """The token for a form rendered in this request; gives the browser a key first
    when it has none (the cookie is set on this request's response)."""
    key = this_request().cookies.get(COOKIE, "")
    if not _KEY.match(key):
        key = secrets.token_urlsafe(16)
        after_this_request(lambda resp: _set_key(resp, key))
    issued = format(int(time.time()), "x")
    return f"{issued}.{_mac(key, issued)}"


_PLACEHOLDER = "K" * 22  # a key as _KEY has them


@lru_cache(maxsize=2)
def _cookie(secure: bool) -> tuple[str, str]:
    """Werkzeug's Set-Cookie header for the key cookie, cut around the key.

    A key is 22 characters that need no quoting, so Werkzeug writes every key's
    header the same way around it: its header is made once and the key put in.
    ``Response.set_cookie`` writing it anew cost every first scan about 57,000
    instructions of about 1,090,000 (callgrind, bench/instructions.py); this costs
    one string join. tests/checkin/test_formtoken.py compares the two."""
    header = dump_cookie(
        COOKIE, _PLACEHOLDER, path=_PATH, httponly=True, samesite="Lax", secure=secure
    )
    head, _, tail = header.partition(_PLACEHOLDER)
    return head, tail


def _set_key(resp: Response, key: str) -> Response:
    head, tail = _cookie(bool(this_app().config["SESSION_COOKIE_SECURE"]))
    resp.headers.add("Set-Cookie", head + key + tail)
    return resp


def _same_site() -> bool:
    req = this_request()
    site = req.headers.get("Sec-Fetch-Site")
    if site is not None:  # every current browser sends it
        return site in ("same-origin", "none")
    origin = req.headers.get("Origin")
    if not origin or origin == "null":
        return True  # an old browser or not a browser: the token decides
    host = urlsplit(origin).netloc
    public = urlsplit(this_app().config["PUBLIC_BASE_URL"]).netloc
    return host in (req.host, public)


def check(token: str) -> None:
    """Raise CSRFError unless ``token`` came from this site's form in this browser."""
    if not _same_site():
        raise CSRFError("The form was sent from another site.")
    issued, dot, mac = token.partition(".")
    if not dot or "." in mac or not token.isascii():  # not ours: maybe Flask-WTF's
        try:
            validate_csrf(token)
        except ValidationError as e:
            raise CSRFError(str(e)) from None
        return
    key = this_request().cookies.get(COOKIE, "")
    if not _KEY.match(key) or not hmac.compare_digest(mac, _mac(key, issued)):
        raise CSRFError("The form token does not match this browser.")
    try:
        age = time.time() - int(issued, 16)
    except ValueError:
        raise CSRFError("The form token is malformed.") from None
    if not -_CLOCK_SKEW <= age <= this_app().config["WTF_CSRF_TIME_LIMIT"]:
        raise CSRFError("The form token has expired.")
