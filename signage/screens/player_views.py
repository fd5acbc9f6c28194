"""The player's side: /play (page, script, service worker), pairing, the manifest,
rendered slides at immutable URLs, proof of play.

Public routes: a screen has no login, it proves itself with ``Authorization: Bearer
<key>``. The manifest is the heartbeat and the hottest route (every screen, every
poll): one indexed SELECT, a 304 when nothing changed, and a database write at most
once per poll interval per screen.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from .. import caches, db
from ..campaign import pages as campaign_pages
from ..errors import DomainError
from ..extensions import csrf, limiter, this_app
from . import devices, overrides
from .models import Override
from .renders import (
    cached_render,
    fallback_spec,
    media_dir,
    render_dir,
    spec_from_snapshot,
)
from .screen import RENDERER_VERSION, content_key, parse_size

bp = Blueprint("screens_player", __name__)
csrf.exempt(bp)
STATIC = Path(__file__).resolve().parent.parent / "static" / "player"
IMMUTABLE = "public, max-age=31536000, immutable"


def _key() -> str:
    auth = request.headers.get("Authorization", "")
    return auth[7:].strip() if auth.startswith("Bearer ") else ""


def _unauthorised() -> Any:
    return jsonify(error="unpaired", message=_("Màn hình chưa được ghép nối.")), 401


@bp.get("/play")
def play() -> Any:
    return render_template("screens/play.html")


@bp.get("/play/player.js")
def player_js() -> Any:
    return _static("player.js", "no-cache")


@bp.get("/play/sw.js")
def service_worker() -> Any:
    resp = _static("sw.js", "no-cache")
    # The worker lives under /play/ but must control the page /play itself.
    resp.headers["Service-Worker-Allowed"] = "/play"
    return resp


def _static(name: str, cache: str) -> Response:
    resp = send_file(STATIC / name, mimetype="text/javascript", etag=True)
    resp.headers["Cache-Control"] = cache
    return resp


@bp.post("/play/api/pair")
@limiter.limit(lambda: current_app.config["SCREENS_PAIR_LIMIT"])
def pair_start() -> Any:
    s = db.session()
    code, secret = devices.start_pairing(
        s, int(current_app.config["SCREENS_PAIRING_MINUTES"])
    )
    return jsonify(
        code=code,
        secret=secret,
        poll_seconds=min(5, int(current_app.config["SCREENS_POLL_SECONDS"])),
    )


@bp.get("/play/api/pair")
def pair_status() -> Any:
    key = _key()
    if not key:
        return _unauthorised()
    return jsonify(status=devices.pairing_status(db.session(), key))


def _fingerprint(app: Flask) -> str:
    """Settings that change every manifest (poll interval, the fallback slide's
    campaign title, authority and colour): part of the manifest's ETag, so a screen
    fetches a new manifest when the province edits the campaign. The identity comes
    from caches.campaign (no query on most polls); hashing these few values costs
    about 5 microseconds, next to a poll's 2 ms."""
    cfg = app.config
    identity = campaign_pages.identity()
    raw = json.dumps(
        [
            cfg["SCREENS_POLL_SECONDS"],
            cfg["SCREENS_ALERT_POLL_SECONDS"],
            identity.title,
            identity.authority,
            identity.color,
            cfg["BABEL_DEFAULT_TIMEZONE"],
            RENDERER_VERSION,
        ]
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:8]


@bp.get("/play/api/manifest")
@limiter.exempt
def manifest() -> Any:
    key = _key()
    s = db.session()
    hb = devices.authenticate(s, key)
    if hb is None:
        return _unauthorised()
    app = this_app()
    poll = int(app.config["SCREENS_POLL_SECONDS"])
    etag = f'"{hb.version_hash or "none"}-{hb.width}x{hb.height}-{_fingerprint(app)}"'
    db.end_read()  # the (rare) heartbeat write then waits for its lock, not a retry
    devices.touch(s, hb, poll)
    if etag in request.if_none_match or request.headers.get("If-None-Match") == etag:
        resp = Response(status=304)
    else:
        resp = Response(_manifest_body(etag, hb), mimetype="application/json")
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "no-cache"
    return resp


def _manifest_body(etag: str, hb: devices.Heartbeat) -> bytes:
    return caches.manifest(
        etag, lambda: json.dumps(_build_manifest(hb), ensure_ascii=False).encode()
    )


def _fallback(w: int, h: int) -> Any:
    """What a screen shows when nothing is scheduled: the campaign as the province
    set it (campaign settings), on its colour."""
    identity = campaign_pages.identity()
    return fallback_spec(identity.title, identity.authority, identity.color)


def _build_manifest(hb: devices.Heartbeat) -> dict[str, Any]:
    w, h = hb.width, hb.height
    size = f"{w}x{h}"
    slides = []
    media = media_dir(current_app)
    for source in hb.sources:
        version = devices.loop_version(
            db.session(), source.loop_id, source.version_hash
        )
        for snap in version.slides if version else []:
            key = content_key(spec_from_snapshot(snap, media), w, h)
            extra = {}
            if snap.get("video"):
                extra = {
                    "type": "video",
                    "video": url_for("screens_player.video_file", name=snap["video"]),
                    # The player's offline budget counts it (0: unknown, not kept).
                    "video_bytes": _file_size(media / snap["video"]),
                }
            slides.append(
                {
                    **extra,
                    "id": snap["id"],
                    "title": snap.get("title") or snap.get("qr_caption") or "",
                    "pool": "campaign" if source.campaign else "own",
                    "loop": source.loop_id,
                    "version": source.version_hash,
                    "duration_ms": snap["duration_ms"],
                    "start_date": snap["start_date"],
                    "end_date": snap["end_date"],
                    "weekdays": snap["weekdays"],
                    "window": snap["window"],
                    "src": url_for(
                        "screens_player.slide_image",
                        digest=source.version_hash,
                        slide_id=snap["id"],
                        size=size,
                        key=key,
                    ),
                }
            )
    fb_key = content_key(_fallback(w, h), w, h)
    cfg = current_app.config
    return {
        "version": hb.version_hash,
        "size": [w, h],
        "share": hb.share,
        "poll_seconds": int(cfg["SCREENS_POLL_SECONDS"]),
        "alert_seconds": int(cfg["SCREENS_ALERT_POLL_SECONDS"]),
        "timezone": cfg["BABEL_DEFAULT_TIMEZONE"],
        "fallback": url_for("screens_player.fallback_image", size=size, key=fb_key),
        "video_cache_bytes": int(cfg["SCREENS_PLAYER_VIDEO_CACHE_MB"]) * 1024 * 1024,
        "slides": slides,
    }


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _immutable(path: Path) -> Response:
    resp = send_file(path, mimetype="image/jpeg", etag=path.stem, conditional=True)
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp


def _cached(key: str) -> Path | None:
    if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
        abort(404)
    path = render_dir(current_app) / key[:2] / f"{key}.jpg"
    return path if path.is_file() else None


@bp.get("/play/slide/<digest>/<int:slide_id>/<size>/<key>.jpg")
@limiter.exempt
def slide_image(digest: str, slide_id: int, size: str, key: str) -> Any:
    path = _cached(key)  # content-addressed: a file with this name is this slide
    if path is not None:
        return _immutable(path)
    try:
        w, h = parse_size(size)
    except ValueError:
        abort(404)
    version = devices.version_by_hash(db.session(), digest)
    snap = (
        next((x for x in version.slides if x["id"] == slide_id), None)
        if version
        else None
    )
    if snap is None:
        abort(404)
    spec = spec_from_snapshot(snap, media_dir(current_app))
    if content_key(spec, w, h) != key:
        abort(404)
    return _immutable(cached_render(render_dir(current_app), spec, w, h, "jpg"))


@bp.get("/play/fallback/<size>/<key>.jpg")
@limiter.exempt
def fallback_image(size: str, key: str) -> Any:
    path = _cached(key)
    if path is not None:
        return _immutable(path)
    try:
        w, h = parse_size(size)
    except ValueError:
        abort(404)
    spec = _fallback(w, h)
    if content_key(spec, w, h) != key:
        abort(404)
    return _immutable(cached_render(render_dir(current_app), spec, w, h, "jpg"))


@bp.get("/play/video/<name>")
@limiter.exempt
def video_file(name: str) -> Any:
    """A transcoded video, named by its content hash: immutable, and served with
    byte ranges (players seek and stream)."""
    if not re.fullmatch(r"[0-9a-f]{32}\.mp4", name):
        abort(404)
    path = media_dir(current_app) / name
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype="video/mp4", etag=name[:32], conditional=True)
    resp.headers["Cache-Control"] = IMMUTABLE
    return resp


@bp.get("/play/api/alert")
@limiter.exempt
def alert() -> Any:
    """The emergency override now on for this screen, if any: a path of its own,
    asked every SCREENS_ALERT_POLL_SECONDS; two indexed reads, 304 while unchanged,
    never a write."""
    s = db.session()
    where = devices.locate(s, _key())
    if where is None:
        return _unauthorised()
    row = overrides.for_screen(s, where.organisation_id, where.ward_code, where.tags)
    size = f"{where.width}x{where.height}"
    tag = f"alert-{row.id if row else 0}-{size}"
    etag = f'"{tag}"'
    if request.if_none_match.contains(tag):
        resp = Response(status=304)
    else:
        body: dict[str, Any] = {"id": None}
        if row is not None:
            spec = overrides.spec(row)
            body = {
                "id": row.id,
                "title": row.title or row.body[:80],
                "ends_at": (
                    int(row.ends_at.timestamp() * 1000) if row.ends_at else None
                ),
                "src": url_for(
                    "screens_player.override_image",
                    override_id=row.id,
                    size=size,
                    key=content_key(spec, where.width, where.height),
                ),
            }
        resp = jsonify(body)
    resp.headers["ETag"] = etag
    resp.headers["Cache-Control"] = "no-cache"
    return resp


@bp.get("/play/override/<int:override_id>/<size>/<key>.jpg")
@limiter.exempt
def override_image(override_id: int, size: str, key: str) -> Any:
    path = _cached(key)
    if path is not None:
        return _immutable(path)
    try:
        w, h = parse_size(size)
    except ValueError:
        abort(404)
    row = db.session().get(Override, override_id)
    if row is None:
        abort(404)
    spec = overrides.spec(row)
    if content_key(spec, w, h) != key:
        abort(404)
    return _immutable(cached_render(render_dir(current_app), spec, w, h, "jpg"))


@bp.post("/play/api/plays")
@limiter.exempt
def plays() -> Any:
    s = db.session()
    hb = devices.authenticate(s, _key())
    if hb is None:
        return _unauthorised()
    payload = request.get_json(silent=True)
    items = payload.get("plays") if isinstance(payload, dict) else None
    try:
        result = devices.record_plays(s, hb.screen_id, items)
    except DomainError as e:
        return jsonify(error="invalid", message=e.translated()), 422
    if isinstance(payload, dict) and "status" in payload:
        devices.report_status(s, hb.screen_id, payload["status"])
    return jsonify(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=result.rejected,
        ids=result.ids,
    )
