"""Organisations, users and their login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime, created_ts, intpk, str120, str255


class OrgKind(enum.StrEnum):
    STATE_AGENCY = "state_agency"
    SCHOOL = "school"
    POLICE = "police"
    ARMY = "army"
    BUSINESS = "business"
    OTHER = "other"


class Role(enum.StrEnum):
    ADMIN = "admin"  # province: Dept. of Information and Communications
    MANAGER = "manager"  # one organisation's venues, boards and logs
    EDITOR = "editor"  # enterprise association: e-poster loops and screens
    HEALTH = "health"  # health officer: audited exposure queries
    # a unit (ward committee, department, zone authority...): its whole subtree
    SUPERVISOR = "supervisor"
    SCREENS = "screens"  # screen operator of one organisation: its screens and loops
    DOOR = "door"  # door staff: only the card-scan page of its organisation's venues


def _enum(cls: type[enum.StrEnum]) -> Enum:
    # Stored as the value text with a CHECK constraint, not a native PG enum, so adding
    # a member is a plain migration.
    return Enum(
        cls,
        native_enum=False,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[intpk]
    name: Mapped[str255]
    kind: Mapped[OrgKind] = mapped_column(_enum(OrgKind))
    province_code: Mapped[int]
    ward_code: Mapped[int | None]
    address: Mapped[str255] = mapped_column(default="")
    contact_name: Mapped[str120] = mapped_column(default="")
    contact_phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_ts]
    # The reporting chain (signage/units/tree.py): the unit this organisation answers
    # to; None for the province's top level. At most units.tree.MAX_DEPTH deep.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    # Vietnamese tax code (MST): 10 digits, or 13 for a branch; "" when none.
    tax_code: Mapped[str] = mapped_column(String(13), default="", index=True)
    contact_email: Mapped[str255] = mapped_column(default="")
    # Registrations under this unit are approved as soon as their e-mail is verified.
    auto_approve: Mapped[bool] = mapped_column(default=False)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    __tablename__ = "users"

    id: Mapped[intpk]
    email: Mapped[str255] = mapped_column(unique=True)
    name: Mapped[str120] = mapped_column(default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[Role] = mapped_column(_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_ts]
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")

    # Flask-Login protocol (the login session, not the user, is what the cookie names).
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:  # pragma: no cover - login goes through LoginSession
        raise NotImplementedError("use the login session id")

    def can_manage_org(self, org_id: int) -> bool:
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.MANAGER and self.organisation_id == org_id

    def can_scan_at_org(self, org_id: int) -> bool:
        """Whether this user may scan residents' cards at the organisation's venues
        (its managers and door staff, and the province admin)."""
        if self.role is Role.DOOR:
            return self.organisation_id == org_id
        return self.can_manage_org(org_id)


class LoginSession(Base):
    """One login on one browser. The signed cookie carries only this random id, so
    deleting the row (logout, password reset, deactivation) ends the session for good
    even if a copy of the cookie survives."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[created_ts]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str255] = mapped_column(default="")

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_login_sessions_user_id", "user_id"),)


class Invitation(Base):
    """An e-mailed, single-use, expiring link to create an account with a given
    role (and organisation). Only the SHA-256 of the link's token is stored."""

    __tablename__ = "invitations"

    id: Mapped[intpk]
    email: Mapped[str255]
    role: Mapped[Role] = mapped_column(_enum(Role))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[created_ts]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A newer invitation to the same address replaces this one.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Withdrawn by a manager or the admin (revoked_at is set too): the link says so.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship()
    invited_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_invitations_email", "email"),
        Index("ix_invitations_organisation_id", "organisation_id"),
    )


class TokenPurpose(enum.StrEnum):
    RESET = "reset"  # set a new password (1 hour)
    EMAIL = "email"  # confirm a new e-mail address


class AccountToken(Base):
    """A single-use, expiring link for an existing user: password reset, e-mail
    change. Only the SHA-256 of the link's token is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[intpk]
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The address to switch to (purpose "email").
    new_email: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[created_ts]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_account_tokens_user_id", "user_id"),)
