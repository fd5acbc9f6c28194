"""The keyed hash that matches a roster's phones with the city app's accounts.

HMAC-SHA256 of the E.164 number (``+84901234567``) under a key derived from the
server's SECRET_KEY for this purpose only: the same number gives another hash here
than in the check-ins (which use the secret itself), so an adoption hash cannot be
joined to anyone's visits. Without the server's secret a hash cannot be tested
against the 10^9 possible numbers. A new SECRET_KEY changes every hash: upload the
app's list again and the units' rosters with it.
"""

from __future__ import annotations

import hashlib
import hmac

_PURPOSE = b"signage.adoption.phone-match.v1"


def match_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _PURPOSE, hashlib.sha256).digest()


def phone_hash(key: bytes, e164: str) -> str:
    return hmac.new(key, e164.encode(), hashlib.sha256).hexdigest()
