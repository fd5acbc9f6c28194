"""Domain exceptions that services raise and views map to HTTP statuses."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a message for translation where it is defined; translate it where shown."""
    return message


class DomainError(Exception):
    """Base class; ``message`` is shown to the user (Vietnamese, translatable)."""

    status = 422

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Gone(DomainError):
    status = 410


class Invalid(DomainError):
    status = 422


class Conflict(DomainError):
    status = 409
