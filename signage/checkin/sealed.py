"""Cookies the public pages leave on a resident's own phone, sealed with an AEAD.

A signed cookie only proves who wrote it: anyone holding the phone's cookie jar (a
backup, a shared computer, a proxy log) could read the name and phone in it. These
are encrypted and authenticated with AES-256-GCM (``cryptography``), under a key
derived with HKDF-SHA256 from SECRET_KEY and the cookie's purpose, so a cookie of one
purpose never opens as another. The expiry travels inside the sealed payload: a
cookie kept past its Max-Age by a tampered browser still opens as nothing.
"""

from __future__ import annotations

import json
import os
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"signage.checkin.sealed-cookie"
_NONCE = 12  # bytes: GCM's standard nonce, random per cookie
MAX_COOKIE = 3000  # characters; a browser keeps up to 4096 per cookie


def _aead(secret: str, purpose: str) -> AESGCM:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode()
    ).derive(secret.encode())
    return AESGCM(key)


def seal(secret: str, purpose: str, data: Any, *, max_age: int) -> str:
    """``data`` (JSON-able) as an opaque URL-safe string, valid for ``max_age``
    seconds."""
    payload = json.dumps(
        {"d": data, "e": int(time.time()) + max_age},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()
    nonce = os.urandom(_NONCE)
    sealed = _aead(secret, purpose).encrypt(nonce, payload, purpose.encode())
    return urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def unseal(secret: str, purpose: str, token: str) -> Any | None:
    """What :func:`seal` sealed for this purpose, or None when the token is absent,
    malformed, forged, of another purpose or expired."""
    if not token or len(token) > MAX_COOKIE or not token.isascii():
        return None
    try:
        raw = urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) <= _NONCE:
            return None
        payload = _aead(secret, purpose).decrypt(
            raw[:_NONCE], raw[_NONCE:], purpose.encode()
        )
        body = json.loads(payload)
    except (InvalidTag, ValueError, TypeError):
        return None
    if not isinstance(body, dict) or not isinstance(body.get("e"), int):
        return None
    if body["e"] < time.time():
        return None
    return body.get("d")
