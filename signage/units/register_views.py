"""Public self-registration: the form, "check your e-mail", the verification link."""

from __future__ import annotations

import math
from typing import Any

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import db, ratelimit
from ..accounts import services as accounts
from ..accounts.forms import ConfirmForm
from ..accounts.models import OrgKind
from ..errors import DomainError
from ..forms import apply_domain_error
from ..web import error_page
from . import mails, registration, tree
from .forms import RegisterForm

bp = Blueprint("registration", __name__)
_SALT = "signage.units.verify"


def _province() -> int:
    return int(current_app.config["DEFAULT_PROVINCE_CODE"])


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def verify_url(reg_id: int) -> str:
    token = _signer().dumps({"r": reg_id})
    base = current_app.config["PUBLIC_BASE_URL"]
    return base + url_for("registration.verify", token=token)


def _too_many(limit: str, key: str) -> Any:
    page, status = error_page(429)
    response = make_response(page, status)
    wait = ratelimit.limiter().resets_in(limit, key)
    response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


@bp.route("/register", methods=["GET", "POST"])
def register() -> Any:
    s = db.session()
    form = RegisterForm()
    form.set_choices(tree.units_for_choice(s, _province()), _province())
    if form.validate_on_submit():
        address = request.remote_addr or "-"
        email = accounts.normalise_email(form.email.data or "")[:255]
        limits = ratelimit.limiter()
        # Counted before anything is checked, by address and by e-mail (nobody can
        # fill a stranger's mailbox with our mails).
        if not limits.hit("register-ip", address):
            return _too_many("register-ip", address)
        if not limits.hit("register-email", email):
            return _too_many("register-email", email)
        data = registration.RegistrationData(
            name=form.name.data or "",
            kind=OrgKind(form.kind.data),
            parent_id=form.parent_id.data or 0,
            ward_code=form.ward_code.data,
            address=form.address.data or "",
            tax_code=form.tax_code.data or "",
            contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data or "",
            email=email,
            password=form.password.data or "",
        )
        try:
            reg, to = registration.register(
                s,
                data,
                policy=accounts.HashPolicy.from_config(current_app.config),
                province_code=_province(),
            )
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            # The same answer either way; only the mailbox's owner learns which.
            if reg is None:
                mails.already_registered(s, to)
            else:
                mails.verify(s, reg, verify_url(reg.id))
            return redirect(url_for("registration.sent"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("units/register.html", form=form), status


@bp.get("/register/sent")
def sent() -> Any:
    return render_template("units/register_sent.html")


@bp.route("/register/verify/<token>", methods=["GET", "POST"])
def verify(token: str) -> Any:
    """The e-mailed link opens a page with one button; only pressing it verifies.
    Mail security scanners open every link of a mail (a GET): the GET changes
    nothing, so a scanner can neither verify an address nor set off an automatic
    approval."""
    hours = int(current_app.config["REGISTER_LINK_HOURS"])
    try:
        payload = _signer().loads(token, max_age=hours * 3600)
    except SignatureExpired:
        return render_template(
            "units/register_link.html",
            title=_("Liên kết đã hết hạn"),
            message=_(
                "Liên kết xác nhận chỉ dùng được trong %(h)s giờ. Hãy đăng ký lại.",
                h=hours,
            ),
        ), 410
    except BadSignature:
        return error_page(404)
    s = db.session()
    form = ConfirmForm()
    try:
        if not form.validate_on_submit():
            reg = registration.open_link(s, int(payload["r"]))
            return render_template("units/register_confirm.html", reg=reg, form=form)
        reg = registration.verify(s, int(payload["r"]))
    except DomainError as e:
        return render_template(
            "units/register_link.html",
            title=_("Liên kết đã được dùng")
            if e.status == 410
            else _("Không tìm thấy hồ sơ"),
            message=e.translated(),
        ), e.status
    mails.after_verify(s, reg)
    return render_template("units/register_verified.html", reg=reg)
