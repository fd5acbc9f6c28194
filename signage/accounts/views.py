"""Login/logout and the province admin's organisations and users."""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import (
    session as cookie,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import db, ratelimit
from ..auth import roles_required
from ..errors import DomainError
from ..extensions import limiter
from ..forms import apply_domain_error, choices
from ..venues import services as venues
from ..web import error_page, flashed_step
from . import links, services
from .forms import (
    ORG_KIND_LABELS,
    ROLE_LABELS,
    InviteForm,
    LoginForm,
    OrgForm,
    UserForm,
)
from .models import OrgKind, Role

bp = Blueprint("accounts", __name__)


def _refused_by(account: str, address: str) -> tuple[str, str] | None:
    """Take one login attempt from the account's and the address's allowance; the
    (limit, key) that refused it, or None.

    Taken before the password is checked, so concurrent guesses cannot all pass a
    check made before any of them is counted; given back when the login succeeds,
    so the limits count failures (LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_IP).
    """
    limits = ratelimit.limiter()
    if not limits.hit("login-account", account):
        return "login-account", account
    if not limits.hit("login-ip", address):
        limits.refund("login-account", account)
        return "login-ip", address
    return None


def _too_many(limit: str, key: str) -> Any:
    page, status = error_page(429)
    response = make_response(page, status)
    wait = ratelimit.limiter().resets_in(limit, key)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


@bp.route("/login", methods=["GET", "POST"])
@limiter.exempt  # counted below: failures only, taken before the password check
@db.reads_first  # no write lock held while argon2 checks the password
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        account = services.normalise_email(form.email.data or "")[:255]
        address = request.remote_addr or "-"
        refused = _refused_by(account, address)
        if refused:
            return _too_many(*refused)
        s = db.session()
        password = form.password.data or ""
        policy = services.HashPolicy.from_config(current_app.config)
        user = services.authenticate(s, form.email.data or "", password, policy)
        if user is None:
            form.form_errors.append(_("Email hoặc mật khẩu không đúng."))
        else:
            ratelimit.limiter().refund("login-account", account)
            ratelimit.limiter().refund("login-ip", address)
            db.end_read()  # the writes below take the lock on a fresh snapshot
            services.rehash(user, password, policy)
            login = services.start_session(
                s,
                user,
                lifetime=current_app.config["SESSION_LIFETIME"],
                ip=request.remote_addr or "",
                user_agent=request.user_agent.string,
            )
            cookie.clear()  # no session fixation: a fresh cookie for a fresh login
            cookie.permanent = True
            # The session's identity is the login record (signage/auth.py).
            user.login_id = login.id  # type: ignore[attr-defined]
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("accounts/login.html", form=form), (
        200 if not form.errors and not form.form_errors else 422
    )


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.index")


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        s = db.session()
        services.end_session(s, current_user.login_id)
        logout_user()
    cookie.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("accounts.login"))


# Admin: organisations ----------------------------------------------------------------


@bp.get("/admin/orgs")
@roles_required(Role.ADMIN)
def orgs() -> Any:
    rows = venues.orgs_with_venue_counts(db.session())
    return render_template("accounts/orgs.html", rows=rows, kinds=ORG_KIND_LABELS)


def _org_data(form: OrgForm) -> services.OrgData:
    return services.OrgData(
        name=form.name.data or "",
        kind=OrgKind(form.kind.data),
        province_code=form.province_code.data
        or current_app.config["DEFAULT_PROVINCE_CODE"],
        ward_code=form.ward_code.data,
        address=form.address.data or "",
        contact_name=form.contact_name.data or "",
        contact_phone=form.contact_phone.data or "",
    )


@bp.route("/admin/orgs/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def org_new() -> Any:
    form = OrgForm()
    if request.method == "GET":
        form.province_code.data = current_app.config["DEFAULT_PROVINCE_CODE"]
    form.set_choices(current_app.config["DEFAULT_PROVINCE_CODE"])
    if form.validate_on_submit():
        s = db.session()
        org = services.create_org(s, _org_data(form))
        flash(_("Đã tạo tổ chức %(name)s.", name=org.name), "success")
        return redirect(url_for("venues.org_home", org_id=org.id))
    return _form_page("accounts/org_form.html", form=form, org=None)


@bp.route("/admin/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def org_edit(org_id: int) -> Any:
    s = db.session()
    org = services.get_org(s, org_id)
    form = OrgForm(obj=org)
    if request.method == "GET":
        form.kind.data = org.kind.value
    form.set_choices(current_app.config["DEFAULT_PROVINCE_CODE"])
    if form.validate_on_submit():
        services.update_org(s, org, _org_data(form))
        flash(_("Đã lưu."), "success")
        return redirect(url_for("venues.org_home", org_id=org.id))
    return _form_page("accounts/org_form.html", form=form, org=org)


def _form_page(template: str, **ctx: Any) -> Any:
    form = ctx["form"]
    status = (
        422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    )
    return render_template(template, **ctx), status


# Admin: users ------------------------------------------------------------------------


@bp.get("/admin/users")
@roles_required(Role.ADMIN)
def users() -> Any:
    s = db.session()
    return render_template(
        "accounts/users.html",
        users=services.list_users(s),
        pending=links.pending_invitations(s),
        roles=ROLE_LABELS,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new() -> Any:
    s = db.session()
    form = UserForm()
    form.organisation_id.choices = choices(
        [(None, _("— không thuộc tổ chức —"))]
        + [(org.id, org.name) for org in services.list_orgs(s)]
    )
    if form.validate_on_submit():
        try:
            user = services.create_user(
                s,
                email=form.email.data or "",
                password=form.password.data or "",
                role=Role(form.role.data),
                name=form.name.data or "",
                organisation_id=form.organisation_id.data,
                policy=services.HashPolicy.from_config(current_app.config),
            )
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    return _form_page("accounts/user_form.html", form=form)


@bp.post("/admin/users/<int:user_id>/active")
@roles_required(Role.ADMIN)
def user_active(user_id: int) -> Any:
    s = db.session()
    user = services.get_user(s, user_id)
    if user.id == current_user.id:
        flash(_("Bạn không thể tự khoá tài khoản của mình."), "error")
        return redirect(url_for("accounts.users"))
    services.set_user_active(s, user, not user.active)
    flash(_("Đã cập nhật tài khoản %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.users"))


@bp.route("/admin/users/invite", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_invite() -> Any:
    s = db.session()
    form = InviteForm()
    form.organisation_id.choices = choices(
        [(None, _("— không thuộc tổ chức —"))]
        + [(org.id, org.name) for org in services.list_orgs(s)]
    )
    if form.validate_on_submit():
        try:
            invitation = links.invite(
                s,
                email=form.email.data or "",
                role=Role(form.role.data),
                organisation_id=form.organisation_id.data,
                invited_by=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã gửi lời mời tới %(email)s.", email=invitation.email), "success")
            return redirect(url_for("accounts.users"))
    return _form_page("accounts/invite.html", form=form)


def _invitation_step(invitation_id: int, step: Any, done: str) -> Any:
    return flashed_step(
        lambda: step(
            db.session(), invitation_id, by=current_user, ip=request.remote_addr or ""
        ),
        done,
        url_for("accounts.users"),
    )


@bp.post("/admin/users/invitations/<int:invitation_id>/withdraw")
@roles_required(Role.ADMIN)
def invitation_withdraw(invitation_id: int) -> Any:
    return _invitation_step(invitation_id, links.withdraw, _("Đã thu hồi lời mời."))


@bp.post("/admin/users/invitations/<int:invitation_id>/resend")
@roles_required(Role.ADMIN)
def invitation_resend(invitation_id: int) -> Any:
    return _invitation_step(
        invitation_id, links.resend, _("Đã gửi lại lời mời với liên kết mới.")
    )


@bp.post("/admin/users/<int:user_id>/reset")
@roles_required(Role.ADMIN)
def user_reset(user_id: int) -> Any:
    s = db.session()
    user = services.get_user(s, user_id)
    try:
        links.send_reset(s, user)
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("accounts.users"))
    flash(_("Đã gửi thư đặt lại mật khẩu tới %(email)s.", email=user.email), "success")
    return redirect(url_for("accounts.users"))
