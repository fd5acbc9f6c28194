"""Self-service account pages: invitations, forgotten and changed passwords,
e-mail changes; a manager's team (invite colleagues). Links in mails land here.

Link pages answer 404 for an unknown link and 410 for a used or expired one, with
a Vietnamese sentence, and change nothing.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie
from flask_babel import gettext as _
from flask_login import current_user, login_user

from .. import db, ratelimit
from ..auth import org_or_404, roles_required
from ..errors import DomainError
from ..extensions import limiter
from ..forms import apply_domain_error
from ..web import flashed_step
from . import links, services
from .forms import (
    ROLE_LABELS,
    TEAM_ROLES,
    AcceptForm,
    ConfirmForm,
    EmailChangeForm,
    ForgotForm,
    PasswordChangeForm,
    ResetForm,
    TeamInviteForm,
)
from .models import Role, User

bp = Blueprint("account", __name__)
SIGNED_IN = tuple(Role)
# Link pages are never cached and never leak their URL (the token) onwards.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _policy() -> services.HashPolicy:
    return services.HashPolicy.from_config(current_app.config)


def _page(template: str, form: Any, **ctx: Any) -> Any:
    failed = request.method == "POST" and bool(form.errors or form.form_errors)
    return render_template(template, form=form, **ctx), 422 if failed else 200, PRIVATE


def _link_error(e: DomainError) -> Any:
    """An unknown (404), used or expired (410) link: say so, offer a way on."""
    page = render_template("accounts/link_error.html", message=e.translated())
    return page, e.status, PRIVATE


def _fail(form: Any, e: DomainError) -> None:
    apply_domain_error(form, e.field, e.translated())


# Invitations --------------------------------------------------------------------------


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    s = db.session()
    try:
        invitation = links.open_invitation(s, token)
    except DomainError as e:
        return _link_error(e)
    form = AcceptForm()
    if form.validate_on_submit():
        try:
            user = links.accept_invitation(
                s,
                token,
                name=form.name.data or "",
                password=form.password.data or "",
                policy=_policy(),
            )
        except DomainError as e:
            if e.field is None:
                return _link_error(e)
            _fail(form, e)
        else:
            flash(
                _("Đã tạo tài khoản %(email)s. Mời bạn đăng nhập.", email=user.email),
                "success",
            )
            return redirect(url_for("accounts.login"))
    return _page(
        "accounts/accept.html",
        form,
        invitation=invitation,
        role=ROLE_LABELS.get(invitation.role, invitation.role.value),
    )


@bp.route("/orgs/<int:org_id>/team", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def team(org_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    form = TeamInviteForm()
    if form.validate_on_submit():
        role = Role(form.role.data)
        if role not in TEAM_ROLES or not links.can_invite(current_user, role, org.id):
            form.role.errors = [_("Bạn không thể mời vai trò này.")]
        else:
            try:
                links.invite(
                    s,
                    email=form.email.data or "",
                    role=role,
                    organisation_id=org.id,
                    invited_by=current_user,
                )
            except DomainError as e:
                _fail(form, e)
            else:
                flash(
                    _("Đã gửi lời mời tới %(email)s.", email=form.email.data), "success"
                )
                return redirect(url_for("account.team", org_id=org.id))
    return _page(
        "accounts/team.html",
        form,
        org=org,
        members=sorted(org.users, key=lambda u: (u.role.value, u.email)),
        pending=links.pending_invitations(s, org.id),
        roles=ROLE_LABELS,
        team_roles=TEAM_ROLES,
    )


def _invitation_step(org_id: int, invitation_id: int, step: Any, done: str) -> Any:
    """Withdraw or resend one of the organisation's invitations (the team page)."""
    org = org_or_404(org_id)
    return flashed_step(
        lambda: step(
            db.session(),
            invitation_id,
            by=current_user,
            organisation_id=org.id,
            ip=request.remote_addr or "",
        ),
        done,
        url_for("account.team", org_id=org.id),
    )


@bp.post("/orgs/<int:org_id>/team/invitations/<int:invitation_id>/withdraw")
@roles_required(Role.MANAGER, Role.ADMIN)
def invitation_withdraw(org_id: int, invitation_id: int) -> Any:
    return _invitation_step(
        org_id, invitation_id, links.withdraw, _("Đã thu hồi lời mời.")
    )


@bp.post("/orgs/<int:org_id>/team/invitations/<int:invitation_id>/resend")
@roles_required(Role.MANAGER, Role.ADMIN)
def invitation_resend(org_id: int, invitation_id: int) -> Any:
    return _invitation_step(
        org_id, invitation_id, links.resend, _("Đã gửi lại lời mời với liên kết mới.")
    )


@bp.post("/orgs/<int:org_id>/team/<int:member_id>/role")
@roles_required(Role.MANAGER, Role.ADMIN)
def member_role(org_id: int, member_id: int) -> Any:
    """Give a member another of the organisation's roles (the team page)."""
    org = org_or_404(org_id)
    raw = request.form.get("role", "")
    role = next((r for r in TEAM_ROLES if r.value == raw), None)
    return flashed_step(
        lambda: links.grant(
            db.session(),
            member_id,
            role,
            by=current_user,
            organisation_id=org.id,
            ip=request.remote_addr or "",
        ),
        _("Đã đổi vai trò."),
        url_for("account.team", org_id=org.id),
    )


# Forgotten password -------------------------------------------------------------------


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
def forgot() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        # The same answer whether or not the address has an account, and whether
        # or not this account already got its share of reset mails.
        address = services.normalise_email(form.email.data or "")[:255]
        if ratelimit.limiter().hit("reset-account", address):
            links.request_reset(db.session(), address)
        return render_template("accounts/forgot_sent.html"), 200, PRIVATE
    return _page("accounts/forgot.html", form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    s = db.session()
    try:
        links.open_reset(s, token)
    except DomainError as e:
        return _link_error(e)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            links.reset_password(s, token, form.password.data or "", _policy())
        except DomainError as e:
            if e.field is None:
                return _link_error(e)
            _fail(form, e)
        else:
            flash(_("Đã đặt mật khẩu mới. Mời bạn đăng nhập."), "success")
            return redirect(url_for("accounts.login"))
    return _page("accounts/reset.html", form)


# Own account --------------------------------------------------------------------------


@bp.get("/account")
@roles_required(*SIGNED_IN)
def me() -> Any:
    return render_template("accounts/me.html", roles=ROLE_LABELS)


@bp.route("/account/password", methods=["GET", "POST"])
@roles_required(*SIGNED_IN)
@db.reads_first  # argon2 checks the current password before any write
def password() -> Any:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        s = db.session()
        user: User = current_user
        try:
            db.end_read()
            links.change_password(
                s,
                user,
                form.current.data or "",
                form.password.data or "",
                _policy(),
            )
        except DomainError as e:
            _fail(form, e)
        else:
            # Every session ended, this browser's too: give it a fresh one.
            login = services.start_session(
                s,
                user,
                lifetime=current_app.config["SESSION_LIFETIME"],
                ip=request.remote_addr or "",
                user_agent=request.user_agent.string,
            )
            cookie.clear()
            cookie.permanent = True
            user.login_id = login.id  # type: ignore[attr-defined]  # see auth.py
            login_user(user)
            flash(
                _("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."),
                "success",
            )
            return redirect(url_for("account.me"))
    return _page("accounts/password.html", form)


@bp.route("/account/email", methods=["GET", "POST"])
@roles_required(*SIGNED_IN)
def email() -> Any:
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            links.request_email_change(
                db.session(),
                current_user,
                form.email.data or "",
                form.password.data or "",
                _policy(),
            )
        except DomainError as e:
            _fail(form, e)
        else:
            flash(
                _(
                    "Đã gửi liên kết xác nhận tới %(email)s. Email chỉ được đổi khi "
                    "bạn mở liên kết đó.",
                    email=form.email.data,
                ),
                "success",
            )
            return redirect(url_for("account.me"))
    return _page("accounts/email.html", form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def email_confirm(token: str) -> Any:
    s = db.session()
    try:
        row = links.open_email_change(s, token)
    except DomainError as e:
        return _link_error(e)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            links.confirm_email_change(s, token)
        except DomainError as e:
            return _link_error(e)
        flash(
            _("Đã đổi email. Mời bạn đăng nhập bằng địa chỉ mới."),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return _page("accounts/email_confirm.html", form, new_email=row.new_email)
