"""The accounts' mails, rendered from templates/accounts/mail/ and queued in the
caller's transaction. Needs an app context (templates, PUBLIC_BASE_URL), never a
request, so commands and jobs can send them too. Mails are Vietnamese with a short
English line: the recipient's language is not known."""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from ..mail.services import queue_mail
from .models import Invitation, User

ROLE_NAMES = {
    "admin": "quản trị tỉnh",
    "manager": "quản lý tổ chức",
    "editor": "biên tập màn hình",
    "health": "cán bộ y tế",
    "door": "nhân viên quét thẻ tại cửa",
}


def _link(path: str) -> str:
    # Links use the configured public address, never the request's Host header.
    return str(current_app.config["PUBLIC_BASE_URL"]) + path


def _send(
    session: Session,
    *,
    to: str,
    subject: str,
    template: str,
    kind: str,
    org_id: int | None,
    **ctx: object,
) -> None:
    text = render_template(f"accounts/mail/{template}.txt", **ctx)
    queue_mail(
        session,
        to=to,
        subject=subject,
        text=text,
        kind=f"accounts.{kind}",
        org_id=org_id,
    )


def invitation(
    session: Session, inv: Invitation, token: str, *, org_name: str, inviter: str
) -> None:
    _send(
        session,
        to=inv.email,
        subject="Lời mời tạo tài khoản / Invitation to create your account",
        template="invite",
        kind="invite",
        link=_link(f"/invite/{token}"),
        role=ROLE_NAMES.get(inv.role.value, inv.role.value),
        org_name=org_name,
        inviter=inviter,
        expires_at=inv.expires_at,
        org_id=inv.organisation_id,
    )


def reset(session: Session, user: User, token: str) -> None:
    _send(
        session,
        to=user.email,
        subject="Đặt lại mật khẩu / Reset your password",
        template="reset",
        kind="reset",
        link=_link(f"/reset/{token}"),
        name=user.name,
        org_id=user.organisation_id,
    )


def email_confirm(session: Session, user: User, new_email: str, token: str) -> None:
    _send(
        session,
        to=new_email,
        subject="Xác nhận email mới / Confirm your new e-mail address",
        template="email_confirm",
        kind="email_confirm",
        link=_link(f"/account/email/confirm/{token}"),
        name=user.name,
        org_id=user.organisation_id,
    )


def email_changed(session: Session, user: User, old_email: str) -> None:
    _send(
        session,
        to=old_email,
        subject="Email tài khoản đã được đổi / Your account e-mail was changed",
        template="email_changed",
        kind="email_changed",
        name=user.name,
        new_email=user.email,
        forgot=_link("/forgot"),
        org_id=user.organisation_id,
    )
