"""The province admin's page for API clients: issue a key (shown once), revoke."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from .. import db
from ..accounts.models import Organisation, Role
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


def _org_names() -> dict[int, str]:
    rows = db.session().execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name)
    )
    return {org_id: name for org_id, name in rows}


def _form(orgs: dict[int, str]) -> ClientForm:
    form = ClientForm()
    form.organisation_id.choices = choices([(None, _("Toàn tỉnh")), *orgs.items()])
    return form


def _page(
    form: ClientForm, orgs: dict[int, str], key: str | None = None, status: int = 200
) -> Any:
    html = render_template(
        "api/clients.html",
        form=form,
        clients=services.list_clients(db.session()),
        orgs=orgs,
        key=key,
    )
    return html, status


@bp.get("/")
@roles_required(Role.ADMIN)
def clients() -> Any:
    orgs = _org_names()
    return _page(_form(orgs), orgs)


@bp.post("/")
@roles_required(Role.ADMIN)
def create() -> Any:
    orgs = _org_names()
    form = _form(orgs)
    if not form.validate_on_submit():
        return _page(form, orgs, status=422)
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
        apply_domain_error(form, e.field, e.translated())
        return _page(form, orgs, status=422)
    # The key is shown on this response only; it is never stored in clear.
    html, _status = _page(_form(orgs), orgs, key=key)
    return html, 201, {"Cache-Control": "no-store"}


@bp.post("/<int:client_id>/revoke")
@roles_required(Role.ADMIN)
def revoke(client_id: int) -> Any:
    s = db.session()
    client = services.revoke(s, client_id)
    flash(_("Đã thu hồi khoá của %(name)s.", name=client.name), "success")
    return redirect(url_for("api_admin.clients"))
