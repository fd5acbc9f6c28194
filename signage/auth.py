"""Login glue: the cookie names a LoginSession row; roles and organisation checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from . import db
from .accounts import services
from .accounts.models import Organisation, Role, User
from .extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


@login_manager.user_loader
def _load_user(login_id: str) -> User | None:
    user = services.load_session_user(db.session(), login_id)
    if user is not None:
        # The login record, not the user, is the session's identity (see get_id).
        user.login_id = login_id  # type: ignore[attr-defined]
    return user


def _user_get_id(self: User) -> str:
    return self.login_id  # type: ignore[attr-defined]  # set by login, not a column


# Flask-Login stores get_id() in the cookie: ours names the login record, so ending
# that record (logout, reset, lock) ends the session.
User.get_id = _user_get_id  # type: ignore[method-assign]


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Anonymous users go to the login page; a signed-in user without the role gets a
    404 (the page does not exist for them), never a hint that it does."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        # Read by tests/test_isolation.py, which walks every route by its roles.
        wrapper.signage_roles = frozenset(roles)  # type: ignore[attr-defined]
        # functools.wraps keeps the view's signature, which mypy cannot follow.
        return wrapper  # type: ignore[return-value]

    return decorate


def org_or_404(org_id: int, *, scan: bool = False) -> Organisation:
    """The organisation, if the signed-in user may manage it (or, with ``scan``,
    scan cards at its venues: door staff too); else 404."""
    user: User = current_user
    allowed = user.can_scan_at_org(org_id) if scan else user.can_manage_org(org_id)
    if not allowed:
        abort(404)
    org = db.session().get(Organisation, org_id)
    if org is None:
        abort(404)
    return org
