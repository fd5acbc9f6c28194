"""Rendered slides on disk, named by the hash of their content (see screens.screen).

A render never changes once written (its name is its content), so it is served with
``immutable`` caching and written atomically (temp file + rename) so two workers
rendering the same slide at once never serve half a file.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from ..storage import get_storage
from . import screen


def media_dir(app: Flask) -> Path:
    """Uploaded images: in the app's storage (``media/``), which every app host
    reaches, unless SCREENS_MEDIA_DIR names another folder. Renders made from them
    stay in each host's own cache (:func:`render_dir`)."""
    configured = app.config.get("SCREENS_MEDIA_DIR")
    return Path(configured) if configured else get_storage(app).root / "media"


def render_dir(app: Flask) -> Path:
    return Path(
        app.config.get("SCREENS_RENDER_DIR") or Path(app.instance_path) / "renders"
    )


def spec_from_snapshot(slide: dict[str, Any], media: Path) -> screen.SlideSpec:
    return screen.SlideSpec(
        kind=slide["kind"],
        title=slide.get("title", ""),
        body=slide.get("body", ""),
        background=slide.get("background", "#0b5394"),
        foreground=slide.get("foreground", "#ffffff"),
        image_path=str(media / slide["image"]) if slide.get("image") else "",
        image_sha=slide.get("image_sha", ""),
        qr_payload=slide.get("qr", ""),
        qr_caption=slide.get("qr_caption", ""),
        qr_code=slide.get("qr_code", ""),
    )


def fallback_spec(title: str, authority: str, colour: str) -> screen.SlideSpec:
    """What a screen shows when nothing is scheduled: never a blank screen."""
    return screen.SlideSpec(
        kind="poster", title=title, body=authority, background=colour
    )


def cached_render(
    cache: Path, spec: screen.SlideSpec, width: int, height: int, fmt: str = "jpg"
) -> Path:
    """The render's file, rendering it first when it is not cached yet."""
    key = screen.content_key(spec, width, height)
    path = cache / key[:2] / f"{key}.{fmt}"
    if path.is_file():
        return path
    img = screen.render(spec, width, height)
    data = screen.encode_png(img) if fmt == "png" else screen.encode_jpeg(img)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
