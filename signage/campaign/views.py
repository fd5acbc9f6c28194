"""Province admin: the campaign settings page, with a board preview beside the form.

The preview needs no script: the page's "Xem trước" button posts the form (logo
included) into the preview frame, which answers with the board as an image, nothing
saved; the frame first shows the board as saved.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from functools import lru_cache
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from PIL import Image

from .. import caches, db, qr
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import Invalid
from ..extensions import this_app
from ..posters import preview as board_preview
from ..posters import services as posters
from ..screens.media import CleanImage, UploadPolicy, clean_image
from ..storage import get_storage
from ..web import lean
from . import services
from .pages import identity

bp = Blueprint("campaign", __name__)
LOGO_MAX_BYTES = 5 * 1024 * 1024
LOGO_MAX_PIXELS = 16_000_000
PREVIEW_SIZES = ("a4", "a3", "a5")


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    return {"campaign": identity()}


# The header shows the logo at 36 CSS px: a 72 px PNG (sharp on 2x screens) of a few
# kB, where the board's logo is ~30 kB; a resident's first scan loads the page and
# this, and the page budget is 30 kB on a cheap phone (tests/browser/test_checkin_flow).
HEADER_LOGO_PX = 72


def header_logo(body: bytes) -> bytes:
    """The logo scaled to fit HEADER_LOGO_PX, as an optimised PNG."""
    with Image.open(io.BytesIO(body)) as im:
        im.thumbnail((HEADER_LOGO_PX, HEADER_LOGO_PX), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        im.convert("RGBA").save(out, "PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=1)
def _default_header_logo() -> bytes:
    # The bundled file never changes while the process runs (like posters.default_logo).
    return header_logo(posters.default_logo())


def _header_key(key: str) -> str:
    return key.rsplit(".", 1)[0] + f"-{HEADER_LOGO_PX}.png"


@bp.get("/campaign/logo")
@lean
def logo() -> Any:
    """The campaign's logo for the public pages' header, small (the bundled one when
    none was uploaded). Public: it is printed on every board anyway."""
    key = identity().logo_key
    storage = get_storage(this_app())
    body = _default_header_logo()
    if key:
        try:
            body = posters.logo_for(_header_key(key), storage)
        except Invalid:  # uploaded before the header copy existed, or lost
            # Lost too: the bundled logo until a new upload.
            with contextlib.suppress(Invalid):
                body = header_logo(posters.logo_for(key, storage))
    resp = Response(body, mimetype="image/png")
    resp.headers["Cache-Control"] = "public, max-age=600"
    return resp


def _page(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> Any:
    identity = services.current(db.session(), current_app.config)
    return render_template(
        "campaign/settings.html",
        values=values,
        errors=errors,
        missing=identity.missing(),
        has_logo=bool(identity.logo_key),
        production=current_app.config["ENV"] == "production",
        sizes=PREVIEW_SIZES,
        url_warning=qr.base_url_warning(current_app.config["PUBLIC_BASE_URL"]),
    ), status


def _saved_values() -> dict[str, Any]:
    identity = services.current(db.session(), current_app.config)
    values = {k: getattr(identity, k) for k in services.FORM_FIELDS}
    for name in services.DATE_FIELDS:
        day = getattr(identity, name)
        values[name] = day.isoformat() if day else ""
    return values


@bp.get("/admin/campaign")
@roles_required(Role.ADMIN)
def settings() -> Any:
    return _page(_saved_values(), {})


def _clean_logo() -> CleanImage | None:
    upload = request.files.get("logo")
    if upload is None or not upload.filename:
        return None
    raw = upload.read(LOGO_MAX_BYTES + 1)
    upload.stream.seek(0)  # a request that runs again (db.request_transaction) reads it
    try:
        return clean_image(raw, UploadPolicy(LOGO_MAX_BYTES, LOGO_MAX_PIXELS))
    except Invalid as e:
        raise Invalid(e.template, field="logo", params=e.params) from e


def _store_logo(image: CleanImage) -> str:
    """Write the logo through the storage every host reads, named by its content (a
    request that runs again writes the same file)."""
    ext = "png" if image.mime == "image/png" else "jpg"
    key = f"campaign/logo-{hashlib.sha256(image.data).hexdigest()[:32]}.{ext}"
    storage = get_storage(this_app())
    if not storage.exists(key):
        storage.put(key, image.data)
    small = _header_key(key)
    if not storage.exists(small):
        storage.put(small, header_logo(image.data))
    return key


@bp.post("/admin/campaign")
@roles_required(Role.ADMIN)
def save() -> Any:
    form = request.form
    try:
        values = services.clean(form)
        logo = _clean_logo()
    except Invalid as e:
        return _page(dict(form), {e.field or "": e.translated()}, 422)
    services.save(
        db.session(),
        values,
        logo_key=_store_logo(logo) if logo else None,
        remove_logo=bool(form.get("remove_logo")),
        user_id=current_user.id,
    )
    caches.forget_campaign()
    flash(_("Đã lưu cài đặt chiến dịch."), "success")
    return redirect(url_for("campaign.settings"), 303)


# The preview is shown in the settings page's frame: this one answer may be framed
# by the app's own pages (every other page refuses any frame, web.SECURITY_HEADERS).
FRAMED = {
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; "
    "style-src 'unsafe-inline'; frame-ancestors 'self'",
    "Cache-Control": "private, no-store",
}


def _png(body: bytes) -> Response:
    return Response(body, mimetype="image/png", headers=FRAMED)


def _size() -> str:
    size = request.values.get("size", "a4")
    return size if size in PREVIEW_SIZES else "a4"


@bp.get("/admin/campaign/preview.png")
@roles_required(Role.ADMIN)
def preview_saved() -> Any:
    """A sample board with the settings as saved (placeholders included)."""
    identity = services.current(db.session(), current_app.config)
    logo = posters.logo_for(identity.logo_key, get_storage(this_app()))
    campaign = posters.board_campaign(identity, current_app.config, logo=logo)
    return _png(board_preview.sample_png(campaign, _size()))


@bp.post("/admin/campaign/preview")
@roles_required(Role.ADMIN)
def preview_form() -> Any:
    """A sample board with the form's values, nothing saved: the page's preview."""
    base = services.current(db.session(), current_app.config)
    try:
        values = services.clean(request.form)
        image = _clean_logo()
    except Invalid as e:
        page = render_template("campaign/preview_error.html", message=e.translated())
        return Response(page, 422, headers=FRAMED)
    identity = services.preview(base, values)
    logo = (
        image.data
        if image
        else posters.logo_for(
            None if request.form.get("remove_logo") else identity.logo_key,
            get_storage(this_app()),
        )
    )
    campaign = posters.board_campaign(identity, current_app.config, logo=logo)
    # Into the page's preview frame: a page with the image and its text alternative.
    body = board_preview.sample_png(campaign, _size())
    src = "data:image/png;base64," + base64.b64encode(body).decode("ascii")
    page = render_template("campaign/preview_frame.html", src=src, size=_size())
    return Response(page, headers=FRAMED)
