"""Personal QR cards.

Residents: ``/the`` makes a card (name, phone, consent) and ``/the/<code>`` shows it
(to save or print); the owner can delete it there. ``/P/<code>`` is what the QR opens
when someone scans it with an ordinary camera: it says what the card is and shows
nothing of its holder.

Staff: the venue's scan page takes what a handheld scanner types (it ends with Enter)
or what the phone's camera reads (BarcodeDetector, where the browser has it) and
checks the holder in at server time.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from .. import db, qr
from ..accounts.models import Role
from ..auth import org_or_404, roles_required
from ..checkin import people
from ..checkin import services as checkins
from ..errors import DomainError, Invalid
from ..extensions import limiter
from ..venues import services as venues
from . import services

bp = Blueprint("cards", __name__)

PRIVATE = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


def _private(body: str, status: int = 200) -> Response:
    return Response(body, status=status, headers=PRIVATE)


@bp.route("/the", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["CARDS_LIMIT_PER_IP"], methods=["POST"])
def new_card() -> Any:
    typed = {"name": "", "phone": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = {
            "name": request.form.get("name", "")[:300],
            "phone": request.form.get("phone", "")[:60],
        }
        try:
            name = people.clean_name(typed["name"])
        except Invalid as e:
            errors["name"] = e.translated()
        try:
            phone = people.clean_phone(typed["phone"])
        except Invalid as e:
            errors["phone"] = e.translated()
        if request.form.get("consent") != "y":
            errors["consent"] = _("Hãy đồng ý để tạo thẻ.")
        if not errors:
            card = services.create_card(
                db.session(),
                checkins.Visitor(name, phone),
                secret=current_app.config["SECRET_KEY"],
            )
            return redirect(url_for("cards.card", code=card.code), 303)
    html = render_template(
        "cards/new.html",
        typed=typed,
        errors=errors,
        days=current_app.config["CARDS_RETENTION_DAYS"],
    )
    return _private(html, 422 if errors else 200)


@bp.get("/the/<code>")
def card(code: str) -> Any:
    try:
        c = services.get_card(db.session(), services.normalise(code) or "")
    except DomainError as e:
        return _private(render_template("cards/gone.html", message=e.translated()), 404)
    payload = qr.card_payload(current_app.config["PUBLIC_BASE_URL"], c.code)
    html = render_template(
        "cards/card.html",
        card=c,
        phone=people.mask(c.phone),
        svg=qr.make(payload).svg_inline(
            border=qr.QUIET_ZONE, omitsize=True, light="#fff"
        ),
        days=current_app.config["CARDS_RETENTION_DAYS"],
    )
    return _private(html)


@bp.get("/the/<code>/qr.png")
def card_png(code: str) -> Any:
    try:
        c = services.get_card(db.session(), services.normalise(code) or "")
    except DomainError:
        return _private("", 404)
    payload = qr.card_payload(current_app.config["PUBLIC_BASE_URL"], c.code)
    return Response(
        qr.png(payload, 12),
        mimetype="image/png",
        headers={
            **PRIVATE,
            "Content-Disposition": 'attachment; filename="the-qr-ca-nhan.png"',
        },
    )


@bp.post("/the/<code>/delete")
def delete(code: str) -> Any:
    services.delete_card(db.session(), services.normalise(code) or "")
    return _private(render_template("cards/deleted.html"))


@bp.get("/P/<code>")
def scanned_by_a_camera(code: str) -> Any:
    """Someone scanned a personal card with an ordinary camera: explain, reveal
    nothing (not even whether the card exists)."""
    return _private(render_template("cards/what.html"))


# Staff ------------------------------------------------------------------------------


# Who scans residents' cards at an organisation's door: door staff (nothing else),
# its managers and the province admin.
SCANNERS = (Role.DOOR, Role.MANAGER, Role.ADMIN)


@bp.get("/orgs/<int:org_id>/scan")
@roles_required(*SCANNERS)
def scan_venues(org_id: int) -> Any:
    """Door staff's home: the organisation's venues, each opening its scan page."""
    org = org_or_404(org_id, scan=True)
    rows = venues.list_venues(db.session(), org.id, include_inactive=False)
    return _private(render_template("cards/scan_venues.html", org=org, venues=rows))


@bp.route("/orgs/<int:org_id>/venues/<int:venue_id>/scan", methods=["GET", "POST"])
@roles_required(*SCANNERS)
def staff_scan(org_id: int, venue_id: int) -> Any:
    org = org_or_404(org_id, scan=True)
    s = db.session()
    try:
        venue = venues.get_venue(s, venue_id, org.id)
    except DomainError:
        return _private(render_template("error.html", status=404), 404)
    result = error = None
    status = 200
    if request.method == "POST":
        try:
            card, recorded = services.scan(
                s,
                venue,
                request.form.get("code", ""),
                secret=current_app.config["SECRET_KEY"],
            )
            result = {
                "name": card.name,
                "phone": people.mask(card.phone),
                "created": recorded.created,
            }
        except DomainError as e:
            error, status = e.translated(), 422
    html = render_template(
        "cards/staff_scan.html", org=org, venue=venue, result=result, error=error
    )
    return _private(html, status)
