"""Screens portal, part 2: screens (pair, edit, revoke, online status) and reports."""

from __future__ import annotations

from datetime import date, timedelta
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

from .. import audit, db, timefmt
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import DomainError, Invalid
from ..forms import CleanForm, apply_domain_error, choices
from ..web import csv_download
from . import devices, reports, services
from .forms import CUSTOM, PairForm, ScreenForm, size_choices
from .screen import SIZES, parse_size

bp = Blueprint("screens_admin", __name__, url_prefix="/screens")
EDITORS = (Role.EDITOR, Role.ADMIN)


def _poll() -> int:
    return int(current_app.config["SCREENS_POLL_SECONDS"])


def _set_choices(form: PairForm | ScreenForm) -> None:
    loops = services.list_loops(db.session(), current_user)
    form.loop_id.choices = choices(
        [(None, _("— chưa chọn —"))]
        + [
            (lp.id, lp.name if lp.version else _("%(n)s (chưa phát hành)", n=lp.name))
            for lp in loops
        ]
    )
    form.size.choices = size_choices()


def _screen_data(form: PairForm | ScreenForm) -> devices.ScreenData:
    size = form.size.data or ""
    text = (form.custom_size.data or "") if size == CUSTOM else size
    try:
        w, h = parse_size(text)
    except ValueError as e:
        raise Invalid(
            "Kích thước có dạng rộng×cao, mỗi cạnh 240–4096 điểm ảnh.",
            field="custom_size",
        ) from e
    loop_id = int(form.loop_id.data) if (form.loop_id.data or "").isdigit() else None
    if loop_id is not None:
        try:
            services.get_loop(db.session(), loop_id, current_user)
        except DomainError as e:
            raise Invalid(
                "Hãy chọn một vòng chiếu trong danh sách.", field="loop_id"
            ) from e
    return devices.ScreenData(
        name=form.name.data or "", loop_id=loop_id, width=w, height=h
    )


@bp.get("/devices")
@roles_required(*EDITORS)
def devices_list() -> Any:
    rows = devices.list_screens(db.session(), current_user)
    poll = _poll()
    return render_template(
        "screens/devices.html",
        screens=rows,
        online={sc.id: devices.is_online(sc, poll) for sc in rows},
        poll=poll,
    )


@bp.route("/pair", methods=["GET", "POST"])
@roles_required(*EDITORS)
def pair() -> Any:
    form = PairForm()
    _set_choices(form)
    if request.method == "GET":
        form.code.data = request.args.get("code", "")
        form.size.data = "1920x1080"
    if form.validate_on_submit():
        s = db.session()
        try:
            screen = devices.pair(
                s,
                form.code.data or "",
                _screen_data(form),
                services.owner_of(current_user),
            )
        except DomainError as e:
            apply_domain_error(form, e.field, _(e.message))
        else:
            audit.record(
                s,
                user_id=current_user.id,
                action="screens.pair",
                target=f"screen:{screen.id}",
                ip=request.remote_addr or "",
            )
            flash(
                _(
                    "Đã ghép màn hình %(name)s. Màn hình bắt đầu chiếu trong giây lát.",
                    name=screen.name,
                ),
                "success",
            )
            return redirect(url_for("screens_admin.devices_list"))
    status = 422 if request.method == "POST" else 200
    return render_template("screens/pair.html", form=form), status


@bp.route("/devices/<int:screen_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def device(screen_id: int) -> Any:
    s = db.session()
    screen = devices.get_screen(s, screen_id, current_user)
    form = ScreenForm(obj=screen)
    _set_choices(form)
    if request.method == "GET":
        form.loop_id.data = str(screen.loop_id or "")
        form.size.data = screen.size if screen.size in SIZES else CUSTOM
        form.custom_size.data = "" if screen.size in SIZES else screen.size
    if form.validate_on_submit():
        try:
            devices.update_screen(s, screen, _screen_data(form))
        except DomainError as e:
            apply_domain_error(form, e.field, _(e.message))
        else:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("screens_admin.devices_list"))
    return render_template(
        "screens/device.html",
        screen=screen,
        form=form,
        action_form=CleanForm(),
        online=devices.is_online(screen, _poll()),
    ), (422 if request.method == "POST" else 200)


@bp.post("/devices/<int:screen_id>/revoke")
@roles_required(*EDITORS)
def device_revoke(screen_id: int) -> Any:
    s = db.session()
    screen = devices.get_screen(s, screen_id, current_user)
    if not CleanForm().validate_on_submit():
        abort(400)
    devices.revoke(s, screen)
    audit.record(
        s,
        user_id=current_user.id,
        action="screens.revoke",
        target=f"screen:{screen.id}",
        ip=request.remote_addr or "",
    )
    flash(_("Đã thu hồi khoá của màn hình %(name)s.", name=screen.name), "success")
    return redirect(url_for("screens_admin.devices_list"))


# Reports -------------------------------------------------------------------------


def _range() -> tuple[date, date]:
    today = timefmt.today_local()
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = end - timedelta(days=6)
    if start > end:
        start, end = end, start
    return max(start, end - timedelta(days=366)), end


def _rows(start: date, end: date) -> list[reports.ReportRow]:
    return reports.minutes_shown(
        db.session(),
        start,
        end,
        timefmt.zone(),
        organisation_id=current_user.organisation_id,
        all_orgs=current_user.role is Role.ADMIN,
    )


@bp.get("/reports")
@roles_required(*EDITORS)
def report() -> Any:
    start, end = _range()
    rows = _rows(start, end)
    by_loop: dict[str, float] = {}
    for r in rows:
        by_loop[r.loop] = by_loop.get(r.loop, 0) + r.seconds / 60
    return render_template(
        "screens/report.html", rows=rows, start=start, end=end, by_loop=by_loop
    )


@bp.get("/reports.csv")
@roles_required(*EDITORS)
def report_csv() -> Any:
    start, end = _range()
    name = f"thoi-luong-chieu-{start.isoformat()}-{end.isoformat()}.csv"
    return csv_download(reports.csv_rows(_rows(start, end)), name)
