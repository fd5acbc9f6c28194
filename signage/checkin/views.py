"""Public scan pages: `/C/<TOKEN>` from a board's QR, `/C` to type the token."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from .. import db
from ..errors import Gone, NotFound
from ..venues import services as venues
from ..venues import tokens

bp = Blueprint("checkin", __name__)


@bp.get("/C")
def enter_token() -> Any:
    raw = request.args.get("t", "")
    if raw:
        token = tokens.normalise(raw)
        if token:
            return redirect(url_for("checkin.scan", token=token))
        return render_template("checkin/enter.html", raw=raw, invalid=True), 422
    return render_template("checkin/enter.html", raw="", invalid=False)


@bp.get("/C/<token>")
def scan(token: str) -> Any:
    try:
        venue = venues.resolve_token(db.session(), token)
    except Gone:
        return render_template("checkin/replaced.html"), 410
    except NotFound:
        return render_template("checkin/unknown.html", raw=token[:40]), 404
    if not venue.active:
        return render_template("checkin/inactive.html", venue=venue), 410
    return render_template("checkin/scan.html", venue=venue)
