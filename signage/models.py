"""Every table, imported once so Alembic and tests see the whole schema."""

from .accounts.models import AccountToken, Invitation, LoginSession, Organisation, User
from .api.models import ApiClient
from .audit import AuditEvent
from .cards.models import PersonalCard
from .checkin.models import CheckIn, Feedback
from .db import Base
from .jobs.models import Job
from .mail.models import OutboxMail
from .posters.models import BoardDownload
from .reports.models import OrgReport, ProvinceDay, RollupState, VenueDay, VenueLast
from .screens.models import (
    Loop,
    LoopVersion,
    Media,
    PairingCode,
    PlayRecord,
    Screen,
    Slide,
)
from .venues.models import RetiredToken, Venue

metadata = Base.metadata

__all__ = [
    "AccountToken",
    "Invitation",
    "ApiClient",
    "AuditEvent",
    "BoardDownload",
    "CheckIn",
    "Feedback",
    "Job",
    "LoginSession",
    "Loop",
    "LoopVersion",
    "Media",
    "OrgReport",
    "OutboxMail",
    "Organisation",
    "PersonalCard",
    "PairingCode",
    "PlayRecord",
    "ProvinceDay",
    "RetiredToken",
    "RollupState",
    "Screen",
    "Slide",
    "User",
    "Venue",
    "VenueDay",
    "VenueLast",
    "metadata",
]
