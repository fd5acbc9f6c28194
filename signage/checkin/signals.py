"""Signals other areas listen to, so the check-in area imports none of them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the purge's write Session (as sender) before check-ins are deleted; a
# receiver returns the highest check-in id it has accounted for (reports' rollups),
# and the purge deletes no check-in above the smallest such id.
before_purge = _signals.signal("checkins-before-purge")
