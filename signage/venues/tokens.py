"""Public venue tokens: 10 characters of Crockford base32 from ``secrets``.

Crockford's alphabet has no I, L, O or U, so a token copied by hand from a printed board
cannot confuse 0/O or 1/I/L; 10 symbols give 50 bits, unguessable by scanning.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10
# Letters Crockford reads as digits (a person copying a printed code).
CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_VALID = re.compile(rf"^[{ALPHABET}]{{{LENGTH}}}$")
_CANONICAL = re.compile(rf"[{ALPHABET}]{{{LENGTH}}}")


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str | None:
    """Turn what a person typed or a URL carried into a canonical token, or None.

    Case, spaces and hyphens are ignored, and the letters Crockford maps to digits
    (O→0, I/L→1) are accepted.
    """
    if text and _CANONICAL.fullmatch(text):  # what a board's QR carries
        return text
    cleaned = _SEPARATORS.sub("", text or "").upper().translate(CONFUSABLES)
    return cleaned if _VALID.match(cleaned) else None


def grouped(token: str) -> str:
    """'7KQ2M9XW3D' -> '7KQ-2M9-XW3D' for printing under the code."""
    return f"{token[:3]}-{token[3:6]}-{token[6:]}"
