"""Every table, imported once so Alembic and tests see the whole schema."""

from .accounts.models import LoginSession, Organisation, User
from .audit import AuditEvent
from .checkin.models import CheckIn, Feedback
from .db import Base
from .posters.models import BoardDownload
from .venues.models import RetiredToken, Venue

metadata = Base.metadata

__all__ = [
    "AuditEvent",
    "BoardDownload",
    "CheckIn",
    "Feedback",
    "LoginSession",
    "Organisation",
    "RetiredToken",
    "User",
    "Venue",
    "metadata",
]
