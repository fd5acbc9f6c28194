"""'Remember me on this phone': the visitor's own name and phone in a signed cookie.

Opt-in only (an unticked box on the form), HttpOnly, SameSite=Lax, Secure in
production, and scoped to /C: nothing else on the site reads it. The server keeps no
copy; "not you?" deletes it. Signed (itsdangerous) so a forged or edited cookie is
ignored, and checked again on every use like freshly typed input.
"""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from ..errors import Invalid
from .services import Visitor

COOKIE = "ci_me"
_SALT = "signage.checkin.remember"
_PATH = "/C"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def visitor() -> Visitor | None:
    """The remembered visitor of this request, or None (absent, forged, invalid)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw)
        return Visitor(str(data["n"]), str(data["p"])).check()
    except (BadSignature, KeyError, TypeError, Invalid):
        return None


def set_cookie(resp: Response, who: Visitor) -> None:
    resp.set_cookie(
        COOKIE,
        _serializer().dumps({"n": who.name, "p": who.phone}),
        max_age=current_app.config["CHECKIN_REMEMBER_DAYS"] * 86400,
        path=_PATH,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )


def forget(resp: Response) -> None:
    resp.delete_cookie(COOKIE, path=_PATH)
