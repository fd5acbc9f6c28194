"""Landing page, health check, language switch, ward lists for forms."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from .. import db, geo
from ..accounts.models import Role
from ..auth import roles_required
from ..web import lean

bp = Blueprint("core", __name__)


@bp.get("/")
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for(home_endpoint(current_user.role), **home_args()))
    return render_template("core/index.html")


def home_endpoint(role: Role) -> str:
    return {
        Role.ADMIN: "reports.deployment",
        Role.MANAGER: "venues.org_home",
        Role.EDITOR: "core.index_editor",
        Role.HEALTH: "core.index_health",
        Role.SUPERVISOR: "units.dashboard",
        Role.SCREENS: "core.index_editor",
        Role.DOOR: "cards.scan_venues",
    }[role]


def home_args() -> dict[str, Any]:
    if current_user.role in (Role.MANAGER, Role.DOOR):
        return {"org_id": current_user.organisation_id}
    return {}


@bp.get("/home/screens")
@roles_required(Role.EDITOR, Role.ADMIN, Role.SCREENS)
def index_editor() -> Any:
    return render_template("core/home_editor.html")


@bp.get("/home/health")
@roles_required(Role.HEALTH, Role.ADMIN)
def index_health() -> Any:
    return render_template("core/home_health.html")


# The health check's two answers, written once: the load balancer asks many times a
# minute, and Flask's jsonify (sorting keys, encoding, then the Response's mimetype
# parsing) was 15 % of the request (py-spy, in-process). Same JSON as jsonify wrote.
_HEALTHY = '{"database":true,"status":"ok"}\n'
_UNHEALTHY = '{"database":false,"status":"error"}\n'
_JSON = {"Content-Type": "application/json"}


@bp.get("/healthz")
@lean
def healthz() -> Any:
    try:
        db.ping()
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        current_app.logger.exception("health check failed")
        return _UNHEALTHY, 503, _JSON
    return _HEALTHY, 200, _JSON


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    target = request.args.get("next", "/")
    parts = urlsplit(target)
    # Only same-site paths: never an open redirect.
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        target = "/"
    resp = redirect(target)
    if code in current_app.config["LANGUAGES"]:
        resp.set_cookie(
            "lang", code, max_age=365 * 86400, samesite="Lax", httponly=True
        )
    return resp


@bp.get("/geo/wards")
def wards_json() -> Any:
    try:
        province_code = int(request.args.get("province", ""))
    except ValueError:
        return jsonify(wards=[]), 400
    return jsonify(
        wards=[{"code": int(w.code), "name": w.name} for w in geo.wards(province_code)]
    )
