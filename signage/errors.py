"""Domain exceptions that services raise and views map to HTTP statuses."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translate it where shown."""
    return message


class DomainError(Exception):
    """Base class; ``message`` is shown to the user (Vietnamese, translatable)."""

    status = 422

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        params: dict[str, object] | None = None,
    ) -> None:
        # With ``params`` the message is a template ("Tối đa %(limit)s ký tự."):
        # ``message`` is it filled in, :meth:`translated` its translation filled in.
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
        self.field = field

    def translated(self) -> str:
        """The message in the request's language (Flask-Babel), filled in."""
        from flask_babel import gettext

        return gettext(self.template, **self.params)


class NotFound(DomainError):
    status = 404


class Gone(DomainError):
    status = 410


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409


def database_unavailable(error: BaseException) -> bool:
    """The database could not answer for now (SQLite busy past its timeout,
    PostgreSQL restarting or unreachable): a 503 and a retry, never a 500.

    A constraint or a bad statement is a bug or a race, not an outage: False."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    if not isinstance(error, DBAPIError):
        return False
    if isinstance(error, InterfaceError) or error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    orig = error.orig
    if "sqlite" in type(orig).__module__:
        name = getattr(orig, "sqlite_errorname", "")
        return name in _SQLITE_BUSY or "database is locked" in str(orig)
    # psycopg: no connection, or the server going away (class 08: connection
    # exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now).
    state = getattr(orig, "sqlstate", None)
    if state is None:
        return type(orig).__module__.startswith("psycopg")
    return str(state).startswith(("08", "57P"))


_SQLITE_BUSY = frozenset({"SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT", "SQLITE_LOCKED"})
