"""Factories for the screens tests: loops with slides, published; paired screens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from signage.screens import devices, services
from signage.screens.models import Loop, Screen, SlideKind


@pytest.fixture
def config_overrides(tmp_path) -> dict[str, Any]:
    return {"SCREENS_MIN_DURATION_MS": 100, "SCREENS_POLL_SECONDS": 2}


@pytest.fixture
def make_loop(session: Session, app: Flask) -> Callable[..., Loop]:
    def make(
        slides: list[dict[str, Any]] | None = None,
        publish: bool = True,
        name: str = "Chiến dịch",
        organisation_id: int | None = None,
    ) -> Loop:
        loop = services.create_loop(session, name, organisation_id)
        for spec in slides if slides is not None else [{"title": "Xin chào"}]:
            spec = dict(spec)
            kind = SlideKind(spec.pop("kind", "poster"))
            services.add_slide(
                session,
                loop,
                services.SlideData(kind=kind, limits=(100, 3_600_000), **spec),
            )
        session.expire(loop, ["slides"])
        if publish:
            services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
        session.commit()
        return loop

    return make


@pytest.fixture
def pair_screen(session: Session) -> Callable[..., tuple[Screen, str]]:
    def make(
        loop: Loop | None, size: tuple[int, int] = (1280, 720), name: str = "TV sảnh"
    ) -> tuple[Screen, str]:
        code, secret = devices.start_pairing(session, 30)
        screen = devices.pair(
            session,
            code,
            devices.ScreenData(name, loop.id if loop else None, *size),
            loop.organisation_id if loop else None,
        )
        session.commit()
        return screen, secret

    return make
