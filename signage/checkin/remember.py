"""Cookies on the resident's own phone: 'remember me' and 'my check-ins'.

'Remember me on this phone' keeps the visitor's own name and phone. Opt-in only (an
unticked box on the form), HttpOnly, SameSite=Lax, Secure in production, scoped to /C
(nothing else on the site reads it), CHECKIN_REMEMBER_DAYS long (90). The server keeps
no copy; "not you?" deletes it. Encrypted and authenticated (sealed.py), so the cookie
jar does not give the name and phone away, and a forged or edited cookie is ignored;
checked again on every use like freshly typed input.

'My check-ins' lists the confirmation references this browser made (a check-in and
its companions, one group each), so their confirmation shows the full name and the
check-out button here and only here: a forwarded or overheard confirmation link shows
initials. Sealed the same way; a reference is random and names nobody by itself.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from ..errors import Invalid
from ..extensions import this_app, this_request
from . import sealed
from .services import Visitor

COOKIE = "ci_me"
OWN_COOKIE = "ci_own"
_PATH = "/C"
# 'My check-ins' keeps the newest groups (a check-in and its companions) up to this
# many references (about 1.1 kB sealed): a day of visits; older confirmations then
# show initials.
OWN_REFS = 40
OWN_DAYS = 7


def _secret() -> str:
    return str(this_app().config["SECRET_KEY"])


def visitor() -> Visitor | None:
    """The remembered visitor of this request, or None (absent, forged, invalid)."""
    token = this_request().cookies.get(COOKIE, "")
    if not token:  # a first visit, or a browser that does not keep cookies
        return None
    data = sealed.unseal(_secret(), COOKIE, token)
    if not isinstance(data, dict):
        return None
    try:
        return Visitor(str(data["n"]), str(data["p"])).check()
    except (KeyError, Invalid):
        return None


def _set(resp: Response, name: str, value: str, days: int) -> None:
    resp.set_cookie(
        name,
        value,
        max_age=days * 86400,
        path=_PATH,
        httponly=True,
        samesite="Lax",
        secure=bool(this_app().config["SESSION_COOKIE_SECURE"]),
    )


def set_cookie(resp: Response, who: Visitor) -> None:
    days = int(this_app().config["CHECKIN_REMEMBER_DAYS"])
    value = sealed.seal(
        _secret(), COOKIE, {"n": who.name, "p": who.phone}, max_age=days * 86400
    )
    _set(resp, COOKIE, value, days)


def forget(resp: Response) -> None:
    resp.delete_cookie(COOKIE, path=_PATH)


def own_groups() -> list[list[str]]:
    """The groups of references this browser checked in, newest first."""
    data = sealed.unseal(
        _secret(), OWN_COOKIE, this_request().cookies.get(OWN_COOKIE, "")
    )
    if not isinstance(data, list):
        return []
    return [
        [ref for ref in group if isinstance(ref, str)]
        for group in data
        if isinstance(group, list)
    ]


def group_of(ref: str) -> list[str] | None:
    """The group this browser checked ``ref`` in with, or None when it did not."""
    for group in own_groups():
        if ref in group:
            return group
    return None


def forget_own(resp: Response, ref: str) -> None:
    """Take a deleted check-in's reference out of 'my check-ins' (the cookie goes
    when nothing is left in it)."""
    kept = [[r for r in group if r != ref] for group in own_groups()]
    kept = [group for group in kept if group]
    if not kept:
        resp.delete_cookie(OWN_COOKIE, path=_PATH)
        return
    value = sealed.seal(_secret(), OWN_COOKIE, kept, max_age=OWN_DAYS * 86400)
    _set(resp, OWN_COOKIE, value, OWN_DAYS)


def add_own(resp: Response, refs: list[str]) -> None:
    """Add a group of references (the first is the submitter's) to 'my check-ins'."""
    kept, total = [refs], len(refs)
    for group in own_groups():
        if set(group) & set(refs):
            continue  # the same form sent again: its group is the new one
        total += len(group)
        if total > OWN_REFS:
            break
        kept.append(group)
    value = sealed.seal(_secret(), OWN_COOKIE, kept, max_age=OWN_DAYS * 86400)
    _set(resp, OWN_COOKIE, value, OWN_DAYS)
