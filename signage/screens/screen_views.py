"""Screens portal, part 2: screens (pair, edit, revoke, online status) and reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

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
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import Organisation, OrgKind, Role
from ..auth import roles_required
from ..errors import DomainError, Invalid
from ..forms import CleanForm, apply_domain_error, choices
from ..web import csv_download
from . import devices, feeds, reports, services
from .forms import CUSTOM, PairForm, ScreenForm, SettingsForm, size_choices
from .screen import SIZES, parse_size

bp = Blueprint("screens_admin", __name__, url_prefix="/screens")
# Whoever owns screens: the association's editors, an organisation's manager or its
# screen operator, the province. Each sees its own organisation's screens.
OPERATORS = (Role.EDITOR, Role.ADMIN, Role.MANAGER, Role.SCREENS)


def _poll() -> int:
    return int(current_app.config["SCREENS_POLL_SECONDS"])


def _set_choices(form: PairForm | ScreenForm) -> None:
    s = db.session()
    loops = services.list_loops(s, current_user)
    form.loop_id.choices = choices(
        [(None, _("— chưa chọn —"))]
        + [
            (lp.id, lp.name if lp.version else _("%(n)s (chưa phát hành)", n=lp.name))
            for lp in loops
        ]
    )
    form.feeds.choices = choices((str(lp.id), lp.name) for lp in feeds.list_feeds(s))
    form.size.choices = size_choices()
    province = int(current_app.config["DEFAULT_PROVINCE_CODE"])
    form.ward_code.choices = choices(
        [(None, _("— theo địa chỉ của tổ chức —"))]
        + [(w.code, w.name) for w in geo.wards(province)]
    )


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
    ward = form.ward_code.data or ""
    ward_code = int(ward) if ward.isdigit() else None
    if ward and geo.ward(ward_code) is None:
        raise Invalid("Hãy chọn phường/xã trong danh sách.", field="ward_code")
    return devices.ScreenData(
        name=form.name.data or "",
        loop_id=loop_id,
        width=w,
        height=h,
        ward_code=ward_code,
        tags=feeds.normalise_tags(form.tags.data or ""),
    )


def _feed_ids(form: PairForm | ScreenForm) -> list[int]:
    return [int(x) for x in form.feeds.data or [] if str(x).isdigit()]


def _filter() -> devices.Filter:
    args = request.args
    org, ward = args.get("org", ""), args.get("ward", "")
    kind = args.get("kind", "")
    return devices.Filter(
        organisation_id=int(org) if org.isdigit() else None,
        ward_code=int(ward) if ward.isdigit() else None,
        org_kind=kind if kind in {k.value for k in OrgKind} else "",
        tag=feeds.normalise_tags(args.get("tag", "")[:40]).strip().split(" ")[0],
    )


@bp.get("/devices")
@roles_required(*OPERATORS)
def devices_list() -> Any:
    s = db.session()
    where = _filter()
    rows = devices.list_screens(s, current_user, where)
    poll = _poll()
    ctx = {
        "screens": rows,
        "online": {sc.id: devices.is_online(sc, poll) for sc in rows},
        "poll": poll,
        "ward_name": geo.ward_name,
        "orgs": {
            o.id: o.name
            for o in s.scalars(
                select(Organisation).where(
                    Organisation.id.in_({sc.organisation_id for sc in rows})
                )
            )
        },
    }
    if request.args.get("partial") == "1":  # the list refreshing itself
        return render_template("screens/_fleet_rows.html", **ctx)
    province = int(current_app.config["DEFAULT_PROVINCE_CODE"])
    all_orgs = (
        list(s.scalars(select(Organisation).order_by(Organisation.name)))
        if current_user.role is Role.ADMIN
        else []
    )
    return render_template(
        "screens/devices.html",
        where=where,
        wards=geo.wards(province),
        kinds=ORG_KIND_LABELS,
        all_orgs=all_orgs,
        loops=[lp for lp in services.list_loops(s, current_user) if lp.version],
        offered=feeds.list_feeds(s),
        action_form=CleanForm(),
        **ctx,
    )


@bp.post("/devices/assign")
@roles_required(*OPERATORS)
def devices_assign() -> Any:
    """Assign a loop and/or a feed to every screen of the filtered group at once."""
    s = db.session()
    if not CleanForm().validate_on_submit():
        abort(400)
    where = _filter()
    keep = {
        k: v for k, v in request.args.items() if k in ("org", "ward", "kind", "tag")
    }
    back = url_for("screens_admin.devices_list") + (
        f"?{urlencode(keep)}" if keep else ""
    )
    rows = devices.list_screens(
        s, current_user, devices.Filter(**{**where.__dict__, "live_only": True})
    )
    if not rows:
        flash(
            _(
                "Nhóm này không còn màn hình nào (đã thu hồi hoặc đổi nhãn): chưa "
                "thay đổi gì."
            ),
            "error",
        )
        return redirect(back)
    loop_text, feed_text = (
        request.form.get("loop_id", ""),
        request.form.get("feed_id", ""),
    )
    parts = []
    try:
        if loop_text.isdigit():
            loop = services.get_loop(s, int(loop_text), current_user)
            done, skipped = devices.assign(s, rows, loop)
            parts.append(
                _("vòng chiếu “%(name)s” cho %(n)s màn hình", name=loop.name, n=done)
            )
            if skipped:
                parts.append(
                    _(
                        "%(n)s màn hình của tổ chức khác giữ vòng chiếu của mình",
                        n=skipped,
                    )
                )
        if feed_text.isdigit():
            added = feeds.add_feed(s, rows, int(feed_text))
            parts.append(_("kênh chiến dịch cho %(n)s màn hình", n=added))
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(back)
    if not parts:
        flash(_("Hãy chọn vòng chiếu hoặc kênh chiến dịch để gán."), "error")
        return redirect(back)
    audit.record(
        s,
        user_id=current_user.id,
        action="screens.assign",
        ip=request.remote_addr or "",
        screens=[sc.id for sc in rows],
        loop=loop_text,
        feed=feed_text,
    )
    flash(
        _(
            "Đã gán: %(what)s. Màn hình nhận trong lần hỏi tiếp theo.",
            what="; ".join(parts),
        ),
        "success",
    )
    return redirect(back)


@bp.route("/pair", methods=["GET", "POST"])
@roles_required(*OPERATORS)
def pair() -> Any:
    form = PairForm()
    _set_choices(form)
    if request.method == "GET":
        form.code.data = request.args.get("code", "")
        form.size.data = "1920x1080"
        form.feeds.data = [str(lp.id) for lp in feeds.list_feeds(db.session())]
    if form.validate_on_submit():
        s = db.session()
        try:
            screen = devices.pair(
                s,
                form.code.data or "",
                _screen_data(form),
                services.owner_of(current_user),
            )
            feeds.set_screen_feeds(s, screen, _feed_ids(form))
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
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
    return render_template(
        "screens/pair.html",
        form=form,
        share=feeds.settings(db.session()).campaign_share,
    ), status


@bp.route("/devices/<int:screen_id>", methods=["GET", "POST"])
@roles_required(*OPERATORS)
def device(screen_id: int) -> Any:
    s = db.session()
    screen = devices.get_screen(s, screen_id, current_user)
    form = ScreenForm(obj=screen)
    _set_choices(form)
    if request.method == "GET":
        form.loop_id.data = str(screen.loop_id or "")
        form.size.data = screen.size if screen.size in SIZES else CUSTOM
        form.custom_size.data = "" if screen.size in SIZES else screen.size
        form.ward_code.data = str(screen.ward_code or "")
        form.tags.data = ", ".join(screen.tag_list)
        form.feeds.data = [str(row.loop_id) for row in screen.feeds]
    if form.validate_on_submit():
        try:
            devices.update_screen(s, screen, _screen_data(form))
            feeds.set_screen_feeds(s, screen, _feed_ids(form))
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã lưu."), "success")
            return redirect(url_for("screens_admin.devices_list"))
    return render_template(
        "screens/device.html",
        screen=screen,
        form=form,
        action_form=CleanForm(),
        online=devices.is_online(screen, _poll()),
        withdrawn=[row.loop for row in screen.feeds if not row.loop.feed],
        share=feeds.settings(s).campaign_share,
    ), (422 if request.method == "POST" else 200)


@bp.post("/devices/<int:screen_id>/revoke")
@roles_required(*OPERATORS)
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
@roles_required(*OPERATORS)
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
@roles_required(*OPERATORS)
def report_csv() -> Any:
    start, end = _range()
    name = f"thoi-luong-chieu-{start.isoformat()}-{end.isoformat()}.csv"
    return csv_download(reports.csv_rows(_rows(start, end)), name)


# The province's policy and the association's feeds --------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def settings() -> Any:
    s = db.session()
    current = feeds.settings(s)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            feeds.save_settings(
                s,
                int(form.campaign_share.data or 0),
                int(form.offline_alert_minutes.data or 0),
            )
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            audit.record(
                s,
                user_id=current_user.id,
                action="screens.settings",
                ip=request.remote_addr or "",
                campaign_share=form.campaign_share.data,
                offline_alert_minutes=form.offline_alert_minutes.data,
            )
            flash(
                _("Đã lưu. Các màn hình áp dụng tỉ lệ mới trong lần hỏi tiếp theo."),
                "success",
            )
            return redirect(url_for("screens_admin.settings"))
    return render_template("screens/settings.html", form=form), (
        422 if request.method == "POST" else 200
    )


@bp.get("/feeds")
@roles_required(*OPERATORS)
def feed_list() -> Any:
    s = db.session()
    start, end = _range()
    association = feeds.is_association(current_user)
    rows = feeds.carriage(s, start, end, timefmt.zone()) if association else []
    own = devices.list_screens(s, current_user)
    carried: dict[int, list[str]] = {}
    for sc in own:
        for row in sc.feeds:
            carried.setdefault(row.loop_id, []).append(sc.name)
    return render_template(
        "screens/feeds.html",
        offered=feeds.list_feeds(s),
        rows=rows,
        carried=carried,
        association=association,
        share=feeds.settings(s).campaign_share,
        start=start,
        end=end,
    )
