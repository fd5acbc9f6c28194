"""Signals between areas (blinker, which Flask already uses for its own signals).

An area announces what happened; another area that cares subscribes when its
blueprint is registered on an app. The sender is the app (as with Flask's signals),
so a subscriber hears only the app it was registered on; the request's Session comes
along, and a subscriber only flushes (the sender's boundary commits).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A venue's token was rotated: its printed board is replaced.
#: ``send(app, session=Session, old=str, new=str)``.
venue_token_rotated = _signals.signal("venue-token-rotated")
