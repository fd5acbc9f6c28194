"""Org portal: a venue's board (preview / download per size), the organisation's
boards as one PDF, and the bare QR as PNG or SVG. Every board produced is logged."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, qr
from ..accounts.models import Role
from ..auth import org_or_404, roles_required
from ..errors import Invalid
from ..extensions import this_app
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..storage import get_storage
from ..timefmt import today_local
from ..venues import services as venues
from . import jobs, pdf, services

bp = Blueprint("posters", __name__)
PORTAL = (Role.ADMIN, Role.MANAGER)
PX_DEFAULT = 10
PX_MESSAGE = "Kích thước điểm ảnh mỗi ô phải là số nguyên từ 1 đến 40."


def _size() -> str:
    return services.check_size(request.args.get("size", "a4").strip().lower())


def _pdf_response(body: Any, filename: str, download: bool) -> Response:
    resp = send_file(
        body,
        mimetype="application/pdf",
        as_attachment=download,
        download_name=filename,
        max_age=0,
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>/board.pdf")
@roles_required(*PORTAL)
@db.writes
def venue_board(org_id: int, venue_id: int) -> Any:
    """?size=a4|a3|a5 (default a4); ?download=1 saves instead of opening inline."""
    org = org_or_404(org_id)
    size = _size()
    s = db.session()
    venue = venues.get_venue(s, venue_id, org.id)
    campaign = services.campaign(s, current_app.config, get_storage(this_app()))
    # ?print=1: the print shop's file (CMYK, 100 % K text, bleed, crop marks).
    shop = request.args.get("print") == "1"
    download = request.args.get("download") == "1"
    board = services.board(venue, org, today_local())
    body = pdf.render_one(board, size, campaign, print_shop=shop)
    services.record_downloads(
        s,
        [venue.id],
        organisation_id=org.id,
        size=size,
        user_id=current_user.id,
        preview=not download,
    )
    name = f"bang-qr-{venue.token}-{size}{'-nha-in' if shop else ''}.pdf"
    return _pdf_response(io.BytesIO(body), name, download)


@bp.post("/orgs/<int:org_id>/boards.pdf")
@roles_required(*PORTAL)
@db.writes
def org_boards(org_id: int) -> Any:
    """Every active venue's board, one page each, as one PDF (form field size,
    default a4): queued as a job, so it is a POST (it creates something) and the
    answer is at once a redirect to the job's page. Asking again while it runs
    gives the same job."""
    org = org_or_404(org_id)
    size = services.check_size(request.form.get("size", "a4").strip().lower())
    s = db.session()
    if services.count_org_boards(s, org.id) == 0:
        flash(_("Tổ chức chưa có địa điểm nào đang dùng để in bảng."), "error")
        return redirect(url_for("venues.org_home", org_id=org.id))
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=jobs.ORG_BATCH,
            owner_id=current_user.id,
            params={"org_id": org.id, "size": size},
            title=_("Bảng QR khổ %(size)s – %(org)s", size=size.upper(), org=org.name),
            dedupe_key=dedupe_key(jobs.ORG_BATCH, current_user.id, org.id, size),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))


def _payload(org_id: int, venue_id: int) -> tuple[int, str]:
    org = org_or_404(org_id)
    venue = venues.get_venue(db.session(), venue_id, org.id)
    return venue.id, qr.payload(current_app.config["PUBLIC_BASE_URL"], venue.token)


def _px() -> int:
    raw = request.args.get("px", str(PX_DEFAULT)).strip()
    if not raw.isdigit() or not qr.PNG_MIN_PX <= int(raw) <= qr.PNG_MAX_PX:
        raise Invalid(PX_MESSAGE)
    return int(raw)


def _record(org_id: int, venue_id: int, kind: str) -> None:
    s = db.session()
    services.record_downloads(
        s, [venue_id], organisation_id=org_id, size=kind, user_id=current_user.id
    )


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>/qr.png")
@roles_required(*PORTAL)
@db.writes
def venue_qr_png(org_id: int, venue_id: int) -> Any:
    """The bare code, ?px= pixels per module (1-40, default 10), quiet zone included."""
    venue_id, data = _payload(org_id, venue_id)
    px = _px()
    body = qr.png(data, px)
    _record(org_id, venue_id, "png")
    return send_file(
        io.BytesIO(body),
        mimetype="image/png",
        as_attachment=request.args.get("download") == "1",
        download_name=f"qr-{venue_id}-{px}px.png",
        max_age=0,
    )


@bp.get("/orgs/<int:org_id>/venues/<int:venue_id>/qr.svg")
@roles_required(*PORTAL)
@db.writes
def venue_qr_svg(org_id: int, venue_id: int) -> Any:
    venue_id, data = _payload(org_id, venue_id)
    body = qr.svg(data)
    _record(org_id, venue_id, "svg")
    return send_file(
        io.BytesIO(body),
        mimetype="image/svg+xml",
        as_attachment=True,
        download_name=f"qr-{venue_id}.svg",
        max_age=0,
    )
