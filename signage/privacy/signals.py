"""Signals of data-subject requests, so other areas' personal tables (rosters...)
take part without this area importing them.

Both are sent with the request's Session as sender and ``phone`` (E.164) and
``secret`` (the keyed-hash key) as keyword arguments. A receiver returns a
``(label, count)`` pair (label: a short Vietnamese noun, shown on the request's
page) or None when it holds nothing of the kind. It only flushes: the request's
boundary commits, and audits the whole.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Count what the phone number has in the receiver's tables (nothing deleted).
subject_find = _signals.signal("privacy-subject-find")
# Delete it; return what was deleted. Sent in the same transaction as the
# check-ins' and cards' deletion, after them.
subject_erase = _signals.signal("privacy-subject-erase")
