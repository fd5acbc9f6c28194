"""Encryption at rest of personal data: names, phone numbers, free text.

A column declared ``mapped_column(Encrypted("checkins.name"))`` holds, in the
database, ``version (1 byte) | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM
ciphertext and tag``, and reads back as the ``str`` that was stored. The version and
key id are authenticated with the column's name (the GCM associated data), so a value
cannot be moved to another column or have its key id edited unnoticed. A copy of the
database (file, WAL, backup, dump) holds no name, phone number or message in clear.

The keys are never in the database: ``DATA_KEY`` (``SIGNAGE_DATA_KEY``) lists them,
base64url of 32 random bytes each, separated by commas or spaces, the first one
encrypting and every one decrypting; a key's id is derived from the key itself (the
first 4 bytes of its BLAKE2b digest), so a list cannot name a key wrongly. Production
refuses to start without it (``create_app``). Development and tests, when it is
empty, use a key generated on first use in the instance folder (``data.key``, mode
0600), never committed.

Rotation: put a new key first in the list, keep the old ones after it, restart, run
``flask --app wsgi keys rotate`` (re-encrypts in batches while the app runs, see
``signage/keys.py``), then drop the old keys from the list.

Look-ups never compare ciphertexts (every encryption takes a fresh nonce, so equal
values differ): they use keyed hashes kept beside the value (``phone_hash``).

The key ring travels with the engine (``attach``): each app's engines carry their
app's ring on their dialect, where SQLAlchemy hands the column type its values, so
no request or app context is needed to read or write (CLI, migrations, jobs, tests).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask
from sqlalchemy import Engine, LargeBinary, TypeDecorator
from sqlalchemy.engine import Dialect

KEY_FILE = "data.key"
_VERSION = b"\x01"
_ID_BYTES = 4
_NONCE_BYTES = 12
_HEADER = 1 + _ID_BYTES
_SPLIT = re.compile(r"[\s,]+")
_DIALECT_ATTR = "signage_keyring"


class DataKeyError(RuntimeError):
    """A data key is missing or malformed, or a value cannot be decrypted."""


def new_key() -> str:
    """A fresh key as SIGNAGE_DATA_KEY takes it (base64url of 32 random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def parse_keys(text: str) -> list[bytes]:
    """The keys of a DATA_KEY value, current first; raises DataKeyError."""
    keys = []
    for word in _SPLIT.split(text.strip()):
        if not word:
            continue
        try:
            raw = base64.urlsafe_b64decode(word + "=" * (-len(word) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise DataKeyError(
                "SIGNAGE_DATA_KEY: each key is base64url of 32 bytes "
                "(make one with: python -m signage.crypto)"
            )
        keys.append(raw)
    if not keys:
        raise DataKeyError("SIGNAGE_DATA_KEY is empty")
    return keys


def key_id(key: bytes) -> bytes:
    return hashlib.blake2b(
        key, digest_size=_ID_BYTES, person=b"signage-datakey"
    ).digest()


@dataclass(frozen=True)
class KeyRing:
    """The current key (encrypts) and every listed key by id (decrypt)."""

    current_id: bytes
    by_id: dict[bytes, AESGCM]

    @classmethod
    def from_keys(cls, keys: list[bytes]) -> KeyRing:
        return cls(key_id(keys[0]), {key_id(k): AESGCM(k) for k in keys})

    def encrypt(self, text: str, context: bytes) -> bytes:
        header = _VERSION + self.current_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.by_id[self.current_id].encrypt(
            nonce, text.encode("utf-8"), header + context
        )
        return header + nonce + sealed

    def decrypt(self, blob: bytes, context: bytes) -> str:
        header = blob[:_HEADER]
        aead = self.by_id.get(header[1:]) if header[:1] == _VERSION else None
        if aead is None:
            raise DataKeyError(
                f"{context.decode()}: encrypted with key {header[1:].hex() or '-'}, "
                "which SIGNAGE_DATA_KEY does not list"
            )
        nonce = blob[_HEADER : _HEADER + _NONCE_BYTES]
        try:
            plain = aead.decrypt(
                nonce, blob[_HEADER + _NONCE_BYTES :], header + context
            )
        except InvalidTag:
            raise DataKeyError(f"{context.decode()}: a value fails its check") from None
        return plain.decode("utf-8")

    def is_current(self, blob: bytes) -> bool:
        return blob[1:_HEADER] == self.current_id


def blob_key_id(blob: bytes) -> str:
    """The hex id of the key a stored value was encrypted with."""
    return blob[1:_HEADER].hex()


class LazyKeyRing:
    """An app's key ring, read on first use (create_app does no I/O): from
    ``DATA_KEY``, or else (development, tests) from the instance folder's key file,
    created then."""

    def __init__(self, app: Flask) -> None:
        self._app = app
        self._ring: KeyRing | None = None
        self._lock = threading.Lock()

    def get(self) -> KeyRing:
        ring = self._ring
        if ring is None:
            with self._lock:
                if self._ring is None:
                    self._ring = KeyRing.from_keys(parse_keys(self._text()))
                ring = self._ring
        return ring

    def _text(self) -> str:
        configured = str(self._app.config.get("DATA_KEY") or "")
        if configured:
            return configured
        if self._app.config["ENV"] == "production":  # create_app refuses this first
            raise DataKeyError(
                "Set SIGNAGE_DATA_KEY (python -m signage.crypto makes one)."
            )
        return read_or_create_key_file(Path(self._app.instance_path) / KEY_FILE)


def read_or_create_key_file(path: Path) -> str:
    """The development key file's keys, creating it with one new key (0600) when
    absent; several workers starting at once all end up with the same key."""
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    with os.fdopen(fd, "w") as f:
        f.write(new_key() + "\n")
    return path.read_text()


EXT_KEY = "signage.crypto"


def init_app(app: Flask) -> None:
    app.extensions[EXT_KEY] = LazyKeyRing(app)


def keyring(app: Flask) -> KeyRing:
    ring: LazyKeyRing = app.extensions[EXT_KEY]
    return ring.get()


def attach(engine: Engine, app: Flask) -> None:
    """Let ``engine``'s Encrypted columns use ``app``'s keys."""
    setattr(engine.dialect, _DIALECT_ATTR, app.extensions[EXT_KEY])


def _ring(dialect: Dialect) -> KeyRing:
    lazy: LazyKeyRing | None = getattr(dialect, _DIALECT_ATTR, None)
    if lazy is None:
        raise DataKeyError("this engine has no data keys (crypto.attach)")
    return lazy.get()


class Encrypted(TypeDecorator[str]):
    """A ``str`` column stored encrypted (see the module docstring).

    ``context`` names the column ("checkins.name"): it is authenticated with each
    value, so a value copied into another column does not decrypt. Never compare
    such a column in SQL (a fresh nonce per value: equal texts never match); keep a
    keyed hash beside it for look-ups, and filter decrypted values in Python."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context
        self._aad = context.encode()

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return _ring(dialect).encrypt(value, self._aad)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _ring(dialect).decrypt(bytes(value), self._aad)


if __name__ == "__main__":  # python -m signage.crypto: a new key to put in the list
    print(new_key())
