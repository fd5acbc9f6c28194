"""Every table, imported once so Alembic and tests see the whole schema."""

from .accounts.models import AccountToken, Invitation, LoginSession, Organisation, User
from .adoption.models import AppAccount, AppList, Roster, RosterEntry
from .api.models import ApiClient
from .audit import AuditEvent
from .campaign.models import CampaignSettings
from .cards.models import PersonalCard
from .checkin.models import CheckIn, Feedback
from .db import Base
from .jobs.models import Job
from .mail.models import OutboxMail
from .posters.models import BoardDownload
from .privacy.models import ErasureRequest
from .reports.models import (
    BoardPosting,
    OrgReport,
    ProvinceDay,
    RollupState,
    VenueDay,
    VenueLast,
)
from .screens.models import (
    Loop,
    LoopVersion,
    Media,
    Override,
    PairingCode,
    PlayRecord,
    Screen,
    ScreenFeed,
    ScreenSettings,
    Slide,
)
from .units.models import Registration, Reminder, UnitDay
from .venues.models import RetiredToken, Venue

metadata = Base.metadata

__all__ = [
    "AccountToken",
    "Invitation",
    "ApiClient",
    "AppAccount",
    "AppList",
    "AuditEvent",
    "BoardDownload",
    "BoardPosting",
    "CampaignSettings",
    "CheckIn",
    "ErasureRequest",
    "Feedback",
    "Job",
    "LoginSession",
    "Loop",
    "LoopVersion",
    "Media",
    "OrgReport",
    "OutboxMail",
    "Organisation",
    "Override",
    "PairingCode",
    "PersonalCard",
    "PlayRecord",
    "Registration",
    "Reminder",
    "ProvinceDay",
    "RetiredToken",
    "Roster",
    "RosterEntry",
    "RollupState",
    "Screen",
    "ScreenFeed",
    "ScreenSettings",
    "Slide",
    "UnitDay",
    "User",
    "Venue",
    "VenueDay",
    "VenueLast",
    "metadata",
]
