"""Screens portal, part 3: emergency overrides (the province and the association)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import audit, db, geo, timefmt
from ..accounts.models import Organisation, Role
from ..auth import roles_required
from ..errors import DomainError
from ..forms import CleanForm, apply_domain_error, choices
from . import feeds, overrides
from .forms import TARGET_LABELS, OverrideForm
from .models import Override, OverrideTarget

bp = Blueprint("screens_alerts", __name__, url_prefix="/screens")
PUBLISHERS = (Role.ADMIN, Role.EDITOR)


def _publisher() -> None:
    """Only the province and the association's editors (not an organisation's)."""
    if not feeds.is_association(current_user):
        abort(404)


def _set_choices(form: OverrideForm) -> None:
    province = int(current_app.config["DEFAULT_PROVINCE_CODE"])
    form.ward.choices = choices(
        [(None, "—")] + [(w.code, w.name) for w in geo.wards(province)]
    )
    orgs = db.session().scalars(
        select(Organisation).where(Organisation.active).order_by(Organisation.name)
    )
    form.organisation.choices = choices([(None, "—")] + [(o.id, o.name) for o in orgs])


def _data(form: OverrideForm) -> overrides.OverrideData:
    target = OverrideTarget(form.target.data or "all")
    value = {
        OverrideTarget.ALL: "",
        OverrideTarget.WARD: form.ward.data or "",
        OverrideTarget.TAG: feeds.normalise_tags(form.tag.data or "").strip(),
        OverrideTarget.ORGANISATION: form.organisation.data or "",
    }[target]
    ends = form.ends_at.data
    return overrides.OverrideData(
        target=target,
        target_value=value,
        title=form.title.data or "",
        body=form.body.data or "",
        background=(form.background.data or "").lower(),
        foreground=(form.foreground.data or "").lower(),
        qr_url=form.qr_url.data or "",
        ends_at=ends.replace(tzinfo=timefmt.zone()) if ends else None,
        until_cancelled=bool(form.until_cancelled.data),
    )


def _page(form: OverrideForm, status: int) -> Any:
    s = db.session()
    rows = overrides.listing(s)
    return render_template(
        "screens/overrides.html",
        form=form,
        rows=rows,
        live={r.id for r in rows if overrides.is_live(r)},
        reach={r.id: overrides.reach(s, r) for r in rows if overrides.is_live(r)},
        targets=TARGET_LABELS,
        ward_name=geo.ward_name,
        orgs={o.id: o.name for o in s.scalars(select(Organisation))},
        action_form=CleanForm(),
    ), status


@bp.get("/overrides")
@roles_required(*PUBLISHERS)
def overrides_page() -> Any:
    _publisher()
    form = OverrideForm()
    _set_choices(form)
    return _page(form, 200)


@bp.post("/overrides")
@roles_required(*PUBLISHERS)
def override_create() -> Any:
    _publisher()
    form = OverrideForm()
    _set_choices(form)
    if form.validate_on_submit():
        s = db.session()
        try:
            data = _data(form)
            row = overrides.create(s, data, current_user.id)
        except DomainError as e:
            field = {"target": "target"}.get(e.field or "", e.field)
            apply_domain_error(form, field, e.translated())
        else:
            count = overrides.reach(s, row)
            audit.record(
                s,
                user_id=current_user.id,
                action="screens.override",
                target=f"override:{row.id}",
                ip=request.remote_addr or "",
                scope=row.target.value,
                value=row.target_value,
                ends_at=row.ends_at.isoformat() if row.ends_at else None,
                screens=count,
            )
            if row.ends_at is None:
                flash(
                    _(
                        "Đã gửi thông báo khẩn tới %(n)s màn hình. Không có giờ kết "
                        "thúc: thông báo hiện cho đến khi bấm Huỷ.",
                        n=count,
                    ),
                    "success",
                )
            else:
                flash(
                    _(
                        "Đã gửi thông báo khẩn tới %(n)s màn hình, đến %(t)s. Màn "
                        "hình đang mở hiện trong vài giây; màn hình mất kết nối hiện "
                        "khi kết nối lại.",
                        n=count,
                        t=timefmt.fmt_datetime(row.ends_at),
                    ),
                    "success",
                )
            return redirect(url_for("screens_alerts.overrides_page"))
    return _page(form, 422)


@bp.post("/overrides/<int:override_id>/cancel")
@roles_required(*PUBLISHERS)
def override_cancel(override_id: int) -> Any:
    _publisher()
    s = db.session()
    row = s.get(Override, override_id)
    if row is None:
        abort(404)
    if not CleanForm().validate_on_submit():
        abort(400)
    was_live = overrides.is_live(row)
    overrides.cancel(s, row)
    if was_live:
        audit.record(
            s,
            user_id=current_user.id,
            action="screens.override_cancel",
            target=f"override:{row.id}",
            ip=request.remote_addr or "",
        )
    flash(
        _("Đã huỷ thông báo khẩn. Màn hình trở lại lịch chiếu trong vài giây."),
        "success",
    )
    return redirect(url_for("screens_alerts.overrides_page"))
