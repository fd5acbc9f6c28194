"""JSON API v1 for other systems (the city app, kiosks): read venues, post check-ins.

Authentication: ``Authorization: Bearer sgn_…`` (a key made by the province admin,
stored hashed). A client bound to an organisation sees and writes only its venues.
Errors are JSON ``{"error": …, "message": …, "fields": {…}}`` with 4xx statuses;
messages are Vietnamese unless the request asks for English (``Accept-Language: en``
or the ``lang`` cookie).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import db, geo
from ..accounts.models import Organisation
from ..checkin import people
from ..checkin import services as checkins
from ..checkin.models import CheckIn
from ..errors import Gone, Invalid, NotFound
from ..extensions import csrf, limiter
from ..venues import services as venues
from ..venues import tokens
from ..venues.models import Venue
from . import services
from .models import ApiClient, Scope
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

F = TypeVar("F", bound=Callable[..., Any])
PAGE_MAX = 500


def _error(status: int, message: str, **fields: str) -> Any:
    body: dict[str, Any] = {"error": status, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def _client_key() -> str:
    client: ApiClient | None = g.get("api_client")
    return f"api:{client.id}" if client else f"api-ip:{request.remote_addr}"


def requires(scope: Scope) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            key = header[7:].strip() if header.lower().startswith("bearer ") else ""
            s = db.session()
            client = services.authenticate(s, key) if key else None
            if client is not None:
                s.commit()  # end the read: the (rare) write below begins on its own
                if services.touch(s, client):
                    s.commit()
            if client is None:
                resp = _error(401, _("Thiếu hoặc sai khoá API."))
                resp[0].headers["WWW-Authenticate"] = 'Bearer realm="signage"'
                return resp
            if not client.has(scope):
                return _error(
                    403, _("Khoá API này không có quyền %(scope)s.", scope=scope)
                )
            g.api_client = client
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _venue_json(v: Venue, org_name: str) -> dict[str, Any]:
    return {
        "token": v.token,
        "name": v.name,
        "organisation": org_name,
        "organisation_id": v.organisation_id,
        "address": v.address,
        "ward_code": v.ward_code,
        "ward": geo.ward_name(v.ward_code) if v.ward_code else None,
        "category": v.category.value,
        "stay_minutes": v.stay_minutes,
        "active": v.active,
        "checkin_url": f"{current_app.config['PUBLIC_BASE_URL']}/C/{v.token}",
    }


def _visible(v: Venue) -> bool:
    client: ApiClient = g.api_client
    return client.organisation_id is None or v.organisation_id == client.organisation_id


@bp.get("/openapi.json")
@limiter.exempt
def openapi() -> Any:
    return jsonify(document(current_app.config["PUBLIC_BASE_URL"]))


@bp.get("/venues/<token>")
@requires(Scope.VENUES_READ)
def venue(token: str) -> Any:
    s = db.session()
    try:
        v = venues.resolve_token(s, token)
    except Gone:
        return _error(410, _("Bảng mã này đã được thay thế."))
    except NotFound:
        return _error(404, _("Không tìm thấy mã này."))
    if not _visible(v):
        return _error(404, _("Không tìm thấy mã này."))
    org = s.get(Organisation, v.organisation_id)
    return jsonify(_venue_json(v, org.name if org else ""))


@bp.get("/venues")
@requires(Scope.VENUES_READ)
def venue_list() -> Any:
    """Venues by id, in pages: ``?after=<last id>&limit=<1..500>``."""
    try:
        after = int(request.args.get("after", "0"))
        limit = int(request.args.get("limit", "100"))
    except ValueError:
        return _error(400, _("Tham số after và limit phải là số nguyên."))
    if not 1 <= limit <= PAGE_MAX or after < 0:
        return _error(400, _("limit từ 1 đến 500, after không âm."))
    stmt = (
        select(Venue, Organisation.name)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(Venue.id > after)
        .order_by(Venue.id)
        .limit(limit)
    )
    client: ApiClient = g.api_client
    if client.organisation_id is not None:
        stmt = stmt.where(Venue.organisation_id == client.organisation_id)
    rows = db.session().execute(stmt).all()
    items = [_venue_json(v, name) for v, name in rows]
    body: dict[str, Any] = {"items": items}
    if len(rows) == limit:
        body["next"] = url_for(
            "api.venue_list", after=rows[-1][0].id, limit=limit, _external=False
        )
    return jsonify(body)


@bp.post("/checkins")
@requires(Scope.CHECKINS_WRITE)
@limiter.limit(lambda: current_app.config["API_CHECKIN_LIMIT"], key_func=_client_key)
def checkin() -> Any:
    """Record a check-in made in another system, at server time. ``client_ref`` (the
    other system's id for it) makes retries safe: the same ref returns the same one."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, _("Cần một đối tượng JSON."))
    fields: dict[str, str] = {}
    raw_token = data.get("venue_token")
    token = tokens.normalise(raw_token) if isinstance(raw_token, str) else None
    if token is None:
        fields["venue_token"] = _("Mã địa điểm không hợp lệ.")
    client_ref = data.get("client_ref")
    if not isinstance(client_ref, str) or not 1 <= len(client_ref) <= 40:
        fields["client_ref"] = _("client_ref: chuỗi từ 1 đến 40 ký tự.")
    name, phone = data.get("name"), data.get("phone")
    visitor = None
    if not isinstance(name, str) or not isinstance(phone, str):
        fields.setdefault("name", _("Cần họ tên và số điện thoại (chuỗi)."))
    else:
        try:
            visitor = checkins.Visitor(name, phone).check()
        except Invalid as e:
            fields[e.field or "name"] = _(e.message)
    if fields:
        return _error(422, _("Dữ liệu chưa đúng."), **fields)
    s = db.session()
    v = s.scalar(select(Venue).where(Venue.token == token))
    if v is None or not _visible(v):
        return _error(
            404, _("Không tìm thấy mã này."), venue_token=_("Không tìm thấy.")
        )
    if not v.active:
        return _error(409, _("Địa điểm này đang tạm ngừng nhận khai báo."))
    client: ApiClient = g.api_client
    submission = f"api:{client.id}:{client_ref}"[:64]
    assert visitor is not None
    try:
        recorded = checkins.check_in(
            s,
            v,
            visitor,
            submission_id=submission,
            secret=current_app.config["SECRET_KEY"],
        )
        s.commit()
    except IntegrityError:  # the same client_ref used for another venue
        s.rollback()
        return _error(409, _("client_ref này đã dùng cho một địa điểm khác."))
    except checkins.VenueChanged:  # closed or rotated since it was read above
        s.rollback()
        return _error(409, _("Địa điểm này đang tạm ngừng nhận khai báo."))
    row = s.scalar(select(CheckIn).where(CheckIn.public_ref == recorded.public_ref))
    assert row is not None
    body = {
        "ref": row.public_ref,
        "venue_token": v.token,
        "venue": v.name,
        "name": row.name,
        "phone": people.mask(row.phone),
        "checked_in_at": row.checked_in_at.isoformat(),
        "auto_out_at": row.auto_out_at.isoformat(),
        "created": recorded.created,
    }
    return jsonify(body), 201 if recorded.created else 200
