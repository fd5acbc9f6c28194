"""Province admin: the boards of a ward, a kind of organisation or the whole
province, as one PDF or a ZIP of one PDF per organisation, made by a job."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, geo
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.models import OrgKind, Role
from ..auth import roles_required
from ..errors import Invalid
from ..extensions import this_app
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..timefmt import today_local
from . import jobs, services

bp = Blueprint("boards_admin", __name__)
FORMATS = ("pdf", "zip")


def _scope(province: int) -> tuple[services.Scope, str]:
    """The scope from the form, and its name for the job's title and file."""
    what = request.form.get("scope", "")
    if what == "ward":
        raw = request.form.get("ward", "")
        ward = geo.ward(int(raw)) if raw.isdigit() else None
        if ward is None or int(ward.code) not in {
            int(w.code) for w in geo.wards(province)
        }:
            raise Invalid("Hãy chọn một phường / xã của tỉnh.")
        return services.Scope(province, ward_code=int(ward.code)), ward.name
    if what == "kind":
        try:
            kind = OrgKind(request.form.get("kind", ""))
        except ValueError as e:
            raise Invalid("Hãy chọn một loại hình tổ chức.") from e
        return services.Scope(province, kind=kind.value), str(ORG_KIND_LABELS[kind])
    if what == "province":
        return services.Scope(province), _("toàn tỉnh")
    raise Invalid("Hãy chọn phạm vi in: phường / xã, loại hình hoặc toàn tỉnh.")


def _page(status: int = 200) -> Any:
    province = int(current_app.config["DEFAULT_PROVINCE_CODE"])
    return render_template(
        "posters/admin_batch.html",
        wards=geo.wards(province),
        kinds=ORG_KIND_LABELS,
        form=request.form,
    ), status


@bp.get("/admin/boards")
@roles_required(Role.ADMIN)
def admin_batch_form() -> Any:
    return _page()


@bp.post("/admin/boards")
@roles_required(Role.ADMIN)
def admin_batch() -> Any:
    province = int(current_app.config["DEFAULT_PROVINCE_CODE"])
    scope, label = _scope(province)
    size = services.check_size(request.form.get("size", "a4"))
    fmt = request.form.get("fmt", "pdf")
    if fmt not in FORMATS:
        raise Invalid("Hãy chọn một tệp PDF hoặc gói ZIP.")
    s = db.session()
    if services.count_scope_boards(s, scope) == 0:
        return render_template(
            "posters/admin_batch.html",
            wards=geo.wards(province),
            kinds=ORG_KIND_LABELS,
            form=request.form,
            error=_("Không có địa điểm nào đang dùng trong phạm vi đã chọn."),
        ), 422
    stamp = today_local().isoformat()
    what = scope.ward_code or scope.kind or "toan-tinh"
    params = {
        "province_code": scope.province_code,
        "ward_code": scope.ward_code,
        "kind": scope.kind,
        "size": size,
        "fmt": fmt,
        "filename": f"bang-qr-{what}-{size}-{stamp}.{fmt}",
    }
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=jobs.ADMIN_BATCH,
            owner_id=current_user.id,
            params=params,
            title=_("Bảng QR khổ %(size)s – %(org)s", size=size.upper(), org=label),
            dedupe_key=dedupe_key(
                jobs.ADMIN_BATCH, current_user.id, sorted(params.items())
            ),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))
