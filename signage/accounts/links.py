"""E-mailed account links: invitations, password resets, e-mail changes.

Each link carries a random token; only its SHA-256 is stored, so a copy of the
database opens nothing. A link is single-use and expires (an invitation after 7
days, a reset after 1 hour, an e-mail confirmation after 24 hours); an unknown,
used or expired one raises a DomainError with a Vietnamese sentence (404/410) and
changes nothing.

Services take a Session and flush; the mails are queued in the same transaction
(``accounts/mails.py``), so a rolled-back request sends nothing. They need an app
context for the mail templates, never a request: a CLI command or a job task can
call them (``invite`` for the organisation import).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from .. import audit
from ..db import utcnow
from ..errors import N_, Conflict, Gone, Invalid, NotFound
from . import mails
from .models import (
    AccountToken,
    Invitation,
    Organisation,
    Role,
    TokenPurpose,
    User,
)
from .services import (
    HashPolicy,
    create_user,
    end_all_sessions,
    normalise_email,
    set_password,
    verify_password,
)

INVITE_VALID = timedelta(days=7)
# Links (and the invitees' addresses) are forgotten this long after they expire.
KEEP_EXPIRED = timedelta(days=30)
RESET_VALID = timedelta(hours=1)
EMAIL_CHANGE_VALID = timedelta(hours=24)
# Roles that belong to one organisation; a manager may invite (grant) any of them
# into its own organisation, never a role above its own (admin, supervisor, health
# officer, the association's editor).
ORG_ROLES = frozenset({Role.MANAGER, Role.SCREENS, Role.DOOR})
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")

UNKNOWN = N_("Liên kết không đúng hoặc không còn tồn tại. Hãy kiểm tra lại thư.")
USED = N_("Liên kết này đã được dùng rồi. Mỗi liên kết chỉ dùng được một lần.")
EXPIRED = N_("Liên kết này đã hết hạn. Hãy yêu cầu một liên kết mới.")
WITHDRAWN = N_(
    "Lời mời này đã bị thu hồi. "
    "Nếu bạn vẫn cần tài khoản, hãy liên hệ người đã mời bạn."
)


def new_token() -> tuple[str, str]:
    """A link token (256 random bits, URL-safe) and the digest to store."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checked_email(email: str) -> str:
    """The address normalised, or Invalid (field "email")."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as e:
        raise Invalid("Địa chỉ email không hợp lệ.", field="email") from e
    return email


def _email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == email)) is not None


# Invitations -----------------------------------------------------------------------


def can_invite(inviter: User, role: Role, organisation_id: int | None) -> bool:
    """The admin invites anyone; a manager invites managers, screen operators and
    door staff into its own organisation."""
    if inviter.role is Role.ADMIN:
        return True
    return (
        inviter.role is Role.MANAGER
        and role in ORG_ROLES
        and organisation_id is not None
        and organisation_id == inviter.organisation_id
    )


def invite(
    session: Session,
    *,
    email: str,
    role: Role,
    organisation_id: int | None,
    invited_by: User | None,
    valid_for: timedelta = INVITE_VALID,
) -> Invitation:
    """Invite ``email`` to create an account with ``role`` (in the organisation,
    required for managers and door staff), and queue the invitation mail. A pending
    invitation to the same address is replaced. ``invited_by`` is who asked (None
    for an import or a command). Permissions are the caller's to check
    (:func:`can_invite` for the portal). Raises Invalid (bad address, missing
    organisation), NotFound (no such organisation), Conflict (the address already
    has an account)."""
    email = checked_email(email)
    if _email_taken(session, email):
        raise Conflict("Email này đã có tài khoản.", field="email")
    org: Organisation | None = None
    if role in ORG_ROLES and organisation_id is None:
        raise Invalid("Tài khoản này phải thuộc một tổ chức.", field="organisation_id")
    if organisation_id is not None:
        org = session.get(Organisation, organisation_id)
        if org is None:
            raise NotFound("Không tìm thấy tổ chức.", field="organisation_id")
    now = utcnow()
    session.execute(
        update(Invitation)
        .where(
            Invitation.email == email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    token, hashed = new_token()
    invitation = Invitation(
        email=email,
        role=role,
        organisation_id=organisation_id,
        invited_by_id=invited_by.id if invited_by else None,
        token_hash=hashed,
        created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invitation)
    session.flush()
    mails.invitation(
        session,
        invitation,
        token,
        org_name=org.name if org else "",
        inviter=(invited_by.name or invited_by.email) if invited_by else "",
    )
    return invitation


def _check_token(raw: str) -> str:
    if not _TOKEN.fullmatch(raw or ""):
        raise NotFound(UNKNOWN)
    return digest(raw)


def open_invitation(
    session: Session, token: str, *, now: datetime | None = None
) -> Invitation:
    """The pending invitation behind a link, or NotFound/Gone."""
    invitation = session.scalar(
        select(Invitation).where(Invitation.token_hash == _check_token(token))
    )
    if invitation is None:
        raise NotFound(UNKNOWN)
    if invitation.accepted_at is not None:
        raise Gone(USED)
    if invitation.withdrawn_at is not None:
        raise Gone(WITHDRAWN)
    if invitation.revoked_at is not None:
        raise Gone(
            "Lời mời này đã được thay bằng một lời mời mới. Hãy mở thư mới nhất."
        )
    if invitation.expires_at <= (now or utcnow()):
        raise Gone("Lời mời này đã hết hạn. Hãy nhờ người mời gửi lại.")
    return invitation


def accept_invitation(
    session: Session, token: str, *, name: str, password: str, policy: HashPolicy
) -> User:
    """Create the invited account (name and password chosen by the invitee) and
    use up the link."""
    invitation = open_invitation(session, token)
    _claim(
        session,
        update(Invitation).where(
            Invitation.id == invitation.id,
            Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None),
            Invitation.revoked_at.is_(None),
        ),
        accepted_at=utcnow(),
    )
    user = create_user(
        session,
        email=invitation.email,
        password=password,
        role=invitation.role,
        name=name,
        organisation_id=invitation.organisation_id,
        policy=policy,
    )
    session.flush()
    return user


def _claim(session: Session, stmt: Any, **values: Any) -> None:
    """Use up a link by a conditional UPDATE of its row (``stmt`` names the row and
    the state it must still be in): of two requests following the same link at
    once, the second waits for the first's row lock and then matches nothing, so a
    link is used once even when both had read it unused. Raises Gone(USED)."""
    result = session.execute(
        stmt.values(**values).execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Gone(USED)


def pending_invitations(
    session: Session, organisation_id: int | None = None, *, limit: int = 200
) -> list[Invitation]:
    """Invitations not yet accepted, newest first: one organisation's, or all."""
    query = (
        select(Invitation)
        .where(
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
        .order_by(Invitation.created_at.desc())
        .limit(limit)
    )
    if organisation_id is not None:
        query = query.where(Invitation.organisation_id == organisation_id)
    return list(session.scalars(query))


def _managed_invitation(
    session: Session, invitation_id: int, by: User, organisation_id: int | None
) -> Invitation:
    """An invitation ``by`` may act on: in ``organisation_id`` when given (a team
    page), of a role ``by`` may invite. NotFound otherwise, as for one that does not
    exist; Conflict when it was accepted or withdrawn already."""
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or (
            organisation_id is not None
            and invitation.organisation_id != organisation_id
        )
        or not can_invite(by, invitation.role, invitation.organisation_id)
    ):
        raise NotFound("Không tìm thấy lời mời này.")
    if invitation.accepted_at is not None:
        raise Conflict("Lời mời này đã được dùng để tạo tài khoản.")
    if invitation.withdrawn_at is not None or invitation.revoked_at is not None:
        raise Conflict("Lời mời này đã bị thu hồi hoặc đã được gửi lại.")
    return invitation


def withdraw(
    session: Session,
    invitation_id: int,
    *,
    by: User,
    organisation_id: int | None = None,
    ip: str = "",
) -> Invitation:
    """Cancel a pending (or expired, unused) invitation: its link then says it was
    withdrawn. Audited. Raises NotFound / Conflict (see :func:`_managed_invitation`)."""
    invitation = _managed_invitation(session, invitation_id, by, organisation_id)
    now = utcnow()
    invitation.withdrawn_at = now
    invitation.revoked_at = now
    session.flush()
    audit.record(
        session,
        user_id=by.id,
        action="account.invitation.withdraw",
        target=f"invitation:{invitation.id}",
        ip=ip,
        role=invitation.role.value,
        organisation_id=invitation.organisation_id,
    )
    return invitation


def resend(
    session: Session,
    invitation_id: int,
    *,
    by: User,
    organisation_id: int | None = None,
    ip: str = "",
) -> Invitation:
    """Send a pending (or expired, unused) invitation again: a new link valid 7
    days replaces the old one (which then says so), mailed to the same address
    with the same role. Audited. Returns the new invitation."""
    old = _managed_invitation(session, invitation_id, by, organisation_id)
    new = invite(
        session,
        email=old.email,
        role=old.role,
        organisation_id=old.organisation_id,
        invited_by=by,
    )
    audit.record(
        session,
        user_id=by.id,
        action="account.invitation.resend",
        target=f"invitation:{old.id}",
        ip=ip,
        new=f"invitation:{new.id}",
    )
    return new


def grant(
    session: Session,
    member_id: int,
    role: Role | None,
    *,
    by: User,
    organisation_id: int,
    ip: str = "",
) -> User:
    """Give a member of ``organisation_id`` another of the organisation's roles
    (manager, screen operator, door staff): what ``by`` could invite them as, never
    their own account. Audited; the member's sessions end (the new role applies at
    their next sign-in). NotFound for someone outside the organisation, Invalid for
    a role ``by`` may not grant (None: not a role the form offers)."""
    member = session.get(User, member_id)
    if (
        member is None
        or member.organisation_id != organisation_id
        or member.role not in ORG_ROLES
    ):
        raise NotFound("Không tìm thấy người dùng này trong tổ chức.")
    if role is None or not can_invite(by, role, organisation_id):
        raise Invalid(N_("Bạn không thể giao vai trò này."), field="role")
    if member.id == by.id:
        raise Conflict("Bạn không thể tự đổi vai trò của mình.")
    if member.role is role:
        return member
    before = member.role
    member.role = role
    session.flush()
    end_all_sessions(session, member.id)
    audit.record(
        session,
        user_id=by.id,
        action="account.role.grant",
        target=f"user:{member.id}",
        ip=ip,
        before=before.value,
        after=role.value,
    )
    return member


# Password reset and e-mail change ----------------------------------------------------


def _issue(
    session: Session,
    user: User,
    purpose: TokenPurpose,
    valid_for: timedelta,
    new_email: str | None = None,
) -> str:
    token, hashed = new_token()
    now = utcnow()
    session.add(
        AccountToken(
            purpose=purpose,
            user_id=user.id,
            token_hash=hashed,
            new_email=new_email,
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    session.flush()
    return token


def _open_token(
    session: Session, token: str, purpose: TokenPurpose, now: datetime | None = None
) -> AccountToken:
    row = session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == _check_token(token),
            AccountToken.purpose == purpose,
        )
    )
    if row is None or not row.user.active:
        raise NotFound(UNKNOWN)
    if row.used_at is not None:
        raise Gone(USED)
    if row.expires_at <= (now or utcnow()):
        raise Gone(EXPIRED)
    return row


def request_reset(session: Session, email: str) -> None:
    """Mail a reset link (1 hour) when an active account has this address; do
    nothing otherwise: the caller says the same thing either way."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        return
    mails.reset(session, user, _issue(session, user, TokenPurpose.RESET, RESET_VALID))


def send_reset(session: Session, user: User) -> None:
    """The admin's reset button: mail the user a reset link."""
    if not user.active:
        raise Conflict(
            "Tài khoản đang bị khoá: hãy mở khoá trước khi đặt lại mật khẩu."
        )
    mails.reset(session, user, _issue(session, user, TokenPurpose.RESET, RESET_VALID))


def open_reset(session: Session, token: str) -> AccountToken:
    return _open_token(session, token, TokenPurpose.RESET)


def reset_password(
    session: Session, token: str, password: str, policy: HashPolicy
) -> User:
    """Set the new password, end every login session, use up this link and every
    other reset link of the user."""
    row = open_reset(session, token)
    user = row.user
    _claim(session, _unused(row), used_at=utcnow())
    set_password(session, user, password, policy)
    _use_all(session, user.id, TokenPurpose.RESET)
    return user


def _unused(row: AccountToken) -> Any:
    return update(AccountToken).where(
        AccountToken.id == row.id, AccountToken.used_at.is_(None)
    )


def _use_all(session: Session, user_id: int, purpose: TokenPurpose) -> None:
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.flush()


def change_password(
    session: Session, user: User, current: str, new: str, policy: HashPolicy
) -> None:
    """Check the current password, set the new one, end every login session (the
    caller starts a fresh one for the browser that asked)."""
    if not verify_password(user, current, policy):
        raise Invalid("Mật khẩu hiện tại không đúng.", field="current")
    if current == new:
        raise Invalid("Mật khẩu mới phải khác mật khẩu hiện tại.", field="password")
    set_password(session, user, new, policy)


def request_email_change(
    session: Session, user: User, new_email: str, password: str, policy: HashPolicy
) -> None:
    """Mail a confirmation link to the new address; nothing changes until it is
    followed."""
    if not verify_password(user, password, policy):
        raise Invalid("Mật khẩu hiện tại không đúng.", field="password")
    email = checked_email(new_email)
    if email == user.email:
        raise Invalid("Đây đã là email của bạn.", field="email")
    if _email_taken(session, email):
        raise Conflict("Email này đã có tài khoản.", field="email")
    token = _issue(session, user, TokenPurpose.EMAIL, EMAIL_CHANGE_VALID, email)
    mails.email_confirm(session, user, email, token)


def open_email_change(session: Session, token: str) -> AccountToken:
    return _open_token(session, token, TokenPurpose.EMAIL)


def confirm_email_change(session: Session, token: str) -> User:
    """Switch the account to the confirmed address, tell the old one, end the
    other login sessions (the old address no longer signs in)."""
    row = open_email_change(session, token)
    user, new = row.user, row.new_email or ""
    if _email_taken(session, new):
        raise Conflict("Email này đã có tài khoản.", field="email")
    _claim(session, _unused(row), used_at=utcnow())
    old = user.email
    user.email = new
    _use_all(session, user.id, TokenPurpose.EMAIL)
    end_all_sessions(session, user.id)
    mails.email_changed(session, user, old)
    return user


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Delete invitations and account links that expired more than KEEP_EXPIRED
    ago (used or not): an invitation holds an address, personal data."""
    cutoff = (now or utcnow()) - KEEP_EXPIRED
    n = 0
    for table in (Invitation, AccountToken):
        result = session.execute(delete(table).where(table.expires_at < cutoff))
        n += int(cast(CursorResult[Any], result).rowcount or 0)
    return n
