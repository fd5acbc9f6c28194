"""The province admin's page for API clients: issue a key (shown once), revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from .. import db
from ..accounts import services as accounts
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import DomainError
from ..forms import CleanForm, apply_domain_error, choices, int_or_none
from . import services
from .models import Scope

bp = Blueprint("api_admin", __name__, url_prefix="/admin/api-clients")


class ClientForm(CleanForm):
    name = StringField(
        _l("Tên ứng dụng"), validators=[InputRequired(), Length(max=120)]
    )
    organisation_id = SelectField(
        _l("Phạm vi"), coerce=int_or_none, validate_choice=False
    )
    venues_read = BooleanField(_l("Đọc danh sách địa điểm (venues:read)"), default=True)
    checkins_write = BooleanField(_l("Gửi lượt khai báo (checkins:write)"))


def _page(form: ClientForm, key: str | None = None, status: int = 200) -> Any:
    s = db.session()
    orgs = {org.id: org.name for org, _n in accounts.list_orgs(s)}
    return (
        render_template(
            "api/clients.html",
            form=form,
            clients=services.list_clients(s),
            orgs=orgs,
            key=key,
        ),
        status,
    )


def _form() -> ClientForm:
    form = ClientForm()
    orgs = accounts.list_orgs(db.session())
    form.organisation_id.choices = choices(
        [(None, _("Toàn tỉnh"))] + [(org.id, org.name) for org, _n in orgs]
    )
    return form


@bp.get("/")
@roles_required(Role.ADMIN)
def clients() -> Any:
    return _page(_form())


@bp.post("/")
@roles_required(Role.ADMIN)
def create() -> Any:
    form = _form()
    if not form.validate_on_submit():
        return _page(form, status=422)
    scopes = [
        s
        for s, on in (
            (Scope.VENUES_READ, form.venues_read.data),
            (Scope.CHECKINS_WRITE, form.checkins_write.data),
        )
        if on
    ]
    s = db.session()
    try:
        client, key = services.create_client(
            s, form.name.data or "", scopes, form.organisation_id.data
        )
    except DomainError as e:
        apply_domain_error(form, e.field, _(e.message))
        return _page(form, status=422)
    s.commit()
    # The key is shown on this response only; it is never stored in clear.
    resp = _page(_form(), key=key)
    return resp[0], 201, {"Cache-Control": "no-store"}


@bp.post("/<int:client_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(client_id: int) -> Any:
    s = db.session()
    client = services.revoke(s, client_id)
    s.commit()
    flash(_("Đã thu hồi khoá của %(name)s.", name=client.name), "success")
    return redirect(url_for("api_admin.clients"))
