"""Which browser made a check-in: the one that holds its owner cookie.

The check-in POST sets ``ci_own`` on the confirmation's own path
(``/C/<TOKEN>/ok/<REF>``), so the browser sends it to that confirmation and its
buttons only, never to another check-in's page. Its value is an HMAC of the
reference under the app's secret: nothing about the person, and it cannot be made
for a reference without the secret. Whoever merely holds the confirmation link (a
shared screenshot, a browser history) does not have it.

Only the owner may delete the check-in (the resident's right to erasure, without an
account). It lives as long as the check-in can (RETENTION_DAYS), HttpOnly,
SameSite=Lax, Secure in production.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request, url_for
from werkzeug.wrappers import Response

COOKIE = "ci_own"
_SALT = b"signage.checkin.owner:"


def _proof(ref: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, _SALT + ref.encode(), hashlib.sha256).hexdigest()[:32]


def _path(token: str, ref: str) -> str:
    return url_for("checkin.confirmed", token=token, ref=ref)


def grant(resp: Response, token: str, ref: str) -> None:
    """Mark the browser receiving ``resp`` as the maker of check-in ``ref``."""
    resp.set_cookie(
        COOKIE,
        _proof(ref),
        max_age=int(current_app.config["RETENTION_DAYS"]) * 86400,
        path=_path(token, ref),
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )


def is_owner(ref: str) -> bool:
    """Whether this request comes from the browser that made check-in ``ref``."""
    sent = request.cookies.get(COOKIE, "")
    return bool(sent) and hmac.compare_digest(sent, _proof(ref))


def revoke(resp: Response, token: str, ref: str) -> None:
    resp.delete_cookie(COOKIE, path=_path(token, ref))
