"""Accounts rules: users, passwords, login sessions, organisations."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..errors import Conflict, Invalid, NotFound
from .models import LoginSession, Organisation, OrgKind, Role, User

MIN_PASSWORD = 10


@dataclass(frozen=True)
class HashPolicy:
    time_cost: int = 3
    memory_cost: int = 65536

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HashPolicy:
        """The policy an app's config sets (ARGON2_TIME_COST, ARGON2_MEMORY_COST)."""
        return cls(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"])

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.time_cost, memory_cost=self.memory_cost)


# A real hash to verify against when the e-mail is unknown, so a login attempt takes
# as long whether or not the account exists.
_DUMMY_HASH: dict[HashPolicy, str] = {}


def hash_password(password: str, policy: HashPolicy) -> str:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"Mật khẩu cần ít nhất {MIN_PASSWORD} ký tự.", field="password")
    return policy.hasher().hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    policy: HashPolicy,
    name: str = "",
    organisation_id: int | None = None,
) -> User:
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("Email này đã có tài khoản.", field="email")
    if role in (Role.MANAGER, Role.DOOR) and organisation_id is None:
        raise Invalid(
            "Người quản lý và nhân viên quét thẻ phải thuộc một tổ chức.",
            field="organisation_id",
        )
    if role is Role.SCREENS and organisation_id is None:
        raise Invalid(
            "Người vận hành màn hình phải thuộc một tổ chức.", field="organisation_id"
        )
    if (
        organisation_id is not None
        and session.get(Organisation, organisation_id) is None
    ):
        raise NotFound("Không tìm thấy tổ chức.", field="organisation_id")
    user = User(
        email=email,
        name=name,
        role=role,
        organisation_id=organisation_id if role is Role.MANAGER else organisation_id,
        password_hash=hash_password(password, policy),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, policy: HashPolicy
) -> User | None:
    """The active user with this e-mail and password, or None (same cost either way).
    Reads only: a hash made under an older policy is renewed by :func:`rehash`."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    hasher = policy.hasher()
    if user is None or not user.active:
        dummy = _DUMMY_HASH.setdefault(policy, hasher.hash(secrets.token_hex(8)))
        with contextlib.suppress(VerificationError):
            hasher.verify(dummy, password)
        return None
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def verify_password(user: User, password: str, policy: HashPolicy) -> bool:
    """Whether ``password`` is the user's (for a change of password or e-mail)."""
    try:
        return bool(policy.hasher().verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def rehash(user: User, password: str, policy: HashPolicy) -> None:
    """Renew the user's hash when it was made under another policy (its checked
    password given again)."""
    hasher = policy.hasher()
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)


def set_password(
    session: Session, user: User, password: str, policy: HashPolicy
) -> None:
    """Change the password and end every open login session of the user."""
    user.password_hash = hash_password(password, policy)
    end_all_sessions(session, user.id)


def start_session(
    session: Session,
    user: User,
    *,
    lifetime: timedelta,
    ip: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> LoginSession:
    now = now or utcnow()
    login = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        expires_at=now + lifetime,
        ip=ip[:64],
        user_agent=user_agent[:255],
    )
    user.last_login_at = now
    session.add(login)
    session.flush()
    return login


def load_session_user(
    session: Session, login_id: str, now: datetime | None = None
) -> User | None:
    """The user behind a live login session; expired or unknown sessions give None."""
    now = now or utcnow()
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id == login_id)
    ).first()
    if row is None:
        return None
    login, user = row
    if login.expires_at <= now or not user.active:
        return None
    return user


def end_session(session: Session, login_id: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.id == login_id))


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(LoginSession).where(LoginSession.user_id == user_id))


def purge_expired_sessions(session: Session, now: datetime | None = None) -> int:
    result = cast(  # a DML statement gives a CursorResult
        CursorResult[Any],
        session.execute(
            delete(LoginSession).where(LoginSession.expires_at <= (now or utcnow()))
        ),
    )
    return int(result.rowcount or 0)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy tài khoản.")
    return user


def user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound("Không tìm thấy tài khoản với email này.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.email)))


def set_user_active(session: Session, user: User, active: bool) -> None:
    user.active = active
    if not active:
        end_all_sessions(session, user.id)


# Organisations -----------------------------------------------------------------------


@dataclass
class OrgData:
    name: str
    kind: OrgKind
    province_code: int
    ward_code: int | None
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def create_org(session: Session, data: OrgData) -> Organisation:
    org = Organisation(**data.__dict__)
    session.add(org)
    session.flush()
    return org


def update_org(session: Session, org: Organisation, data: OrgData) -> Organisation:
    for key, value in data.__dict__.items():
        setattr(org, key, value)
    session.flush()
    return org


def get_org(session: Session, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("Không tìm thấy tổ chức.")
    return org


def org_by_name(session: Session, name: str) -> Organisation | None:
    return session.scalar(select(Organisation).where(Organisation.name == name))


def list_orgs(session: Session) -> list[Organisation]:
    """Every organisation, by name (with their venue counts: venues.services)."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))
