"""Signals other areas listen to, so the venues area imports none of them.

The sender is the app (as with Flask's own signals): a receiver connected with
``sender=app`` when its blueprint is registered hears only that app. The request's
Session comes along; a receiver only flushes (the request's boundary commits).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# A venue's token was rotated, so its printed board is replaced:
# ``send(app, session=Session, old=str, new=str)``.
venue_token_rotated = _signals.signal("venues-token-rotated")
