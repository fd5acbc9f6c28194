"""JSON API v1 for other systems (the city app, kiosks): read venues, post check-ins.

Authentication: ``Authorization: Bearer sgn_…`` (a key made by the province admin,
stored hashed). A client bound to an organisation sees and writes only its venues.
Each operation's contract (parameters, body, every response with its schema) is the
``@spec.validate`` it carries, with the models of ``schemas.py``; the same
declaration validates the request and writes ``/api/v1/openapi.json``. Every 4xx is
the ``Error`` body; messages are Vietnamese unless the ``lang`` cookie asks for
English.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.exceptions import BadRequest, HTTPException

from .. import db, geo
from ..accounts.models import Organisation
from ..errors import N_, DomainError, Gone, NotFound
from ..extensions import csrf, limiter
from ..venues import services as venues
from ..venues.models import Venue
from ..web import error_page
from . import schemas, services
from .models import ApiClient, Scope
from .openapi import ApiError, document, errors, responses, spec

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

P = ParamSpec("P")
R = TypeVar("R")
# A check-in body is a few hundred bytes; anything near this is not one.
BODY_MAX = 16 * 1024


@bp.errorhandler(ApiError)
def _api_error(e: ApiError) -> ResponseReturnValue:
    return jsonify(e.body()), e.status, e.headers


@bp.errorhandler(DomainError)
def _domain_error(e: DomainError) -> ResponseReturnValue:
    if not e.message:
        return error_page(e.status)
    message = e.translated()
    fields = {e.field: message} if e.field else None
    return _api_error(ApiError(e.status, message, fields))


@bp.errorhandler(HTTPException)
def _http_error(e: HTTPException) -> ResponseReturnValue:
    """Werkzeug's and Flask-Limiter's refusals (413, 429, ...): the site's message for
    the status, in the API's body (web.error_page answers /api/ paths so, which also
    covers what no blueprint sees: unknown paths, methods not allowed)."""
    if e.code is None or e.code < 400:
        return e
    body, status = error_page(e.code)
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    return body, status, headers


def _client() -> ApiClient:
    client: ApiClient = g.api_client
    return client


def _client_key() -> str:
    client: ApiClient | None = g.get("api_client")
    return f"api:{client.id}" if client else f"api-ip:{request.remote_addr}"


def _read_json() -> None:
    """Parse the JSON body once, bounded, before spectree validates it (which would
    read a malformed body as ``{}``, and lets a deeply nested one raise
    RecursionError). Flask caches the result for spectree's own ``get_json``."""
    request.max_content_length = BODY_MAX  # larger: 413 from Werkzeug
    if not request.is_json:
        raise ApiError(
            400, _("Cần một đối tượng JSON (Content-Type: application/json).")
        )
    try:
        request.get_json()
    except (BadRequest, RecursionError):
        raise ApiError(400, _("Nội dung không phải JSON hợp lệ.")) from None


def requires(scope: Scope) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Authenticate the key (401), check its scope (403), then read a JSON body."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            header = request.headers.get("Authorization", "")
            key = header[7:].strip() if header.lower().startswith("bearer ") else ""
            s = db.session()
            client = services.authenticate(s, key) if key else None
            if client is None:
                raise ApiError(
                    401,
                    _("Thiếu hoặc sai khoá API."),
                    headers={"WWW-Authenticate": 'Bearer realm="signage"'},
                )
            services.touch(s, client)
            if not client.has(scope):
                raise ApiError(
                    403, _("Khoá API này không có quyền %(scope)s.", scope=scope)
                )
            g.api_client = client
            if request.method == "POST":
                _read_json()
            return view(*args, **kwargs)

        return wrapper

    return decorate


def _venue(v: Venue, org_name: str) -> schemas.Venue:
    return schemas.Venue(
        token=v.token,
        name=v.name,
        organisation=org_name,
        organisation_id=v.organisation_id,
        address=v.address,
        ward_code=v.ward_code,
        ward=geo.ward_name(v.ward_code) if v.ward_code else None,
        category=v.category,
        stay_minutes=v.stay_minutes,
        active=v.active,
        checkin_url=f"{current_app.config['PUBLIC_BASE_URL']}/C/{v.token}",
    )


@bp.get("/openapi.json")
@limiter.exempt
def openapi() -> ResponseReturnValue:
    """The OpenAPI 3.1 document, written from the operations' declarations."""
    return jsonify(document(current_app.config["PUBLIC_BASE_URL"], bp.url_prefix or ""))


@bp.get("/venues/<token>")
@requires(Scope.VENUES_READ)
@spec.validate(
    resp=responses(
        HTTP_200=(schemas.Venue, "The venue"),
        **errors(
            HTTP_403="The key lacks venues:read",
            HTTP_404="Unknown token, or a venue of another organisation",
            HTTP_410="The board was replaced (token rotated)",
        ),
    ),
    path_parameter_descriptions={"token": "The token printed on the board, any case"},
    operation_id="getVenue",
    # Only the path is read, and an unreadable token is an unknown one: the status
    # spectree would give a refused request is this operation's 404.
    validation_error_status=404,
)
def venue(token: str) -> schemas.Venue:
    """One venue by the token printed on its board"""
    s = db.session()
    try:
        v: Venue | None = venues.resolve_token(s, token)
    except Gone:
        raise ApiError(410, _("Bảng mã này đã được thay thế.")) from None
    except NotFound:
        v = None
    if v is None or not services.visible(_client(), v):
        raise NotFound(N_("Không tìm thấy mã này."))
    org = s.get(Organisation, v.organisation_id)
    return _venue(v, org.name if org else "")


@bp.get("/venues")
@requires(Scope.VENUES_READ)
@spec.validate(
    query=schemas.VenuePageQuery,
    resp=responses(
        HTTP_200=(schemas.VenuePage, "A page of venues by id; `next` links the next"),
        **errors(
            HTTP_400="`after` or `limit` out of range or not an integer",
            HTTP_403="The key lacks venues:read",
        ),
    ),
    validation_error_status=400,
    operation_id="listVenues",
)
def venue_list(query: schemas.VenuePageQuery) -> schemas.VenuePage:
    """Venues in pages of up to 500, by id"""
    stmt = (
        select(Venue, Organisation.name)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .where(Venue.id > query.after)
        .order_by(Venue.id)
        .limit(query.limit)
    )
    client = _client()
    if client.organisation_id is not None:
        stmt = stmt.where(Venue.organisation_id == client.organisation_id)
    rows = db.session().execute(stmt).all()
    page = schemas.VenuePage(items=[_venue(v, name) for v, name in rows])
    if len(rows) == query.limit:
        page.next = url_for("api.venue_list", after=rows[-1][0].id, limit=query.limit)
    return page


@bp.post("/checkins")
@requires(Scope.CHECKINS_WRITE)
@limiter.limit(lambda: current_app.config["API_CHECKIN_LIMIT"], key_func=_client_key)
@spec.validate(
    json=schemas.CheckinIn,
    resp=responses(
        HTTP_201=(schemas.Checkin, "Recorded"),
        HTTP_200=(
            schemas.Checkin,
            "Already recorded (the same client_ref, or the same phone at the venue "
            "within 10 minutes)",
        ),
        **errors(
            HTTP_400="The body is not a JSON document (or not sent as one)",
            HTTP_403="The key lacks checkins:write",
            HTTP_404="Unknown venue, or one of another organisation",
            HTTP_409="The venue takes no check-ins now, or the client_ref was used "
            "at another venue",
            HTTP_413="The body is larger than 16 KiB",
            HTTP_422="A field is refused (`fields` says which and why)",
            HTTP_429="More check-ins from this key than API_CHECKIN_LIMIT allows",
        ),
    ),
    operation_id="postCheckin",
)
def checkin(json: schemas.CheckinIn) -> tuple[schemas.Checkin, int]:
    """Record a check-in at server time (idempotent by client_ref)

    ``client_ref`` (the other system's id for it) makes retries safe: the same ref
    returns the same check-in.
    """
    done = services.record_checkin(
        db.session(),
        _client(),
        venue_token=json.venue_token,
        name=json.name,
        phone=json.phone,
        client_ref=json.client_ref,
        secret=current_app.config["SECRET_KEY"],
    )
    body = schemas.Checkin.model_validate(done, from_attributes=True)
    return body, 201 if done.created else 200
