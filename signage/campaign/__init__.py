"""The campaign's identity (authority, title, colours, logo, city app, the way in for
people without a smartphone, privacy lines, deadline), edited by the province in the
portal and read everywhere through :func:`current`."""

from __future__ import annotations

from .services import Identity, current

__all__ = ["Identity", "current"]
