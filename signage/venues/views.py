"""Org portal: an organisation's venues (list, create, edit, deactivate, rotate)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db
from ..accounts.models import Role
from ..auth import org_or_404, roles_required
from ..errors import DomainError
from ..forms import CleanForm, apply_domain_error
from . import services, tokens
from .forms import CATEGORY_LABELS, VenueForm
from .models import VenueCategory

bp = Blueprint("venues", __name__)
PORTAL = (Role.ADMIN, Role.MANAGER)


@bp.get("/orgs/")
@roles_required(*PORTAL)
def my_org() -> Any:
    if current_user.role is Role.ADMIN:
        return redirect(url_for("accounts.orgs"))
    return redirect(url_for("venues.org_home", org_id=current_user.organisation_id))


@bp.get("/orgs/<int:org_id>/")
@roles_required(*PORTAL)
def org_home(org_id: int) -> Any:
    org = org_or_404(org_id)
    venues = services.list_venues(db.session(), org.id)
    return render_template(
        "venues/org_home.html",
        org=org,
        venues=venues,
        categories=CATEGORY_LABELS,
        action_form=CleanForm(),
        grouped=tokens.grouped,
    )


def _data(form: VenueForm) -> services.VenueData:
    return services.VenueData(
        name=form.name.data or "",
        address=form.address.data or "",
        ward_code=form.ward_code.data,
        category=VenueCategory(form.category.data),
        stay_minutes=int(form.stay_minutes.data or 60),
    )


def _status(form: VenueForm) -> int:
    return (
        422 if request.method == "POST" and (form.errors or form.form_errors) else 200
    )


@bp.route("/orgs/<int:org_id>/venues/new", methods=["GET", "POST"])
@roles_required(*PORTAL)
def venue_new(org_id: int) -> Any:
    org = org_or_404(org_id)
    form = VenueForm()
    if request.method == "GET":
        form.ward_code.data = org.ward_code
        form.address.data = org.address
    form.set_wards(org.province_code)
    if form.validate_on_submit():
        s = db.session()
        try:
            venue = services.create_venue(s, org, _data(form))
        except DomainError as e:
            apply_domain_error(form, e.field, _(e.message))
        else:
            s.commit()
            flash(_("Đã thêm địa điểm %(name)s.", name=venue.name), "success")
            return redirect(url_for("venues.venue", org_id=org.id, venue_id=venue.id))
    return render_template(
        "venues/venue_form.html", form=form, org=org, venue=None
    ), _status(form)


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>")
@roles_required(*PORTAL)
def venue(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    v = services.get_venue(db.session(), venue_id, org.id)
    return render_template(
        "venues/venue.html",
        org=org,
        venue=v,
        categories=CATEGORY_LABELS,
        action_form=CleanForm(),
        grouped=tokens.grouped,
    )


@bp.route("/orgs/<int:org_id>/venues/<int:venue_id>/edit", methods=["GET", "POST"])
@roles_required(*PORTAL)
def venue_edit(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    form = VenueForm(obj=v)
    if request.method == "GET":
        form.category.data = v.category.value
    form.set_wards(org.province_code)
    if form.validate_on_submit():
        try:
            services.update_venue(s, v, _data(form))
        except DomainError as e:
            apply_domain_error(form, e.field, _(e.message))
        else:
            s.commit()
            flash(_("Đã lưu."), "success")
            return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))
    return render_template(
        "venues/venue_form.html", form=form, org=org, venue=v
    ), _status(form)


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/active")
@roles_required(*PORTAL)
def venue_active(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    if not CleanForm().validate_on_submit():
        abort(400)
    services.set_active(s, v, not v.active)
    s.commit()
    flash(
        _("Đã mở lại địa điểm.") if v.active else _("Đã tạm ngừng địa điểm."), "success"
    )
    return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))


@bp.post("/orgs/<int:org_id>/venues/<int:venue_id>/rotate")
@roles_required(*PORTAL)
def venue_rotate(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id)
    s = db.session()
    v = services.get_venue(s, venue_id, org.id)
    if not CleanForm().validate_on_submit():
        abort(400)
    services.rotate_token(s, v)
    s.commit()
    flash(
        _("Đã cấp mã mới. Bảng cũ không còn dùng được: hãy in và dán bảng mới."),
        "success",
    )
    return redirect(url_for("venues.venue", org_id=org.id, venue_id=v.id))
