"""The app with its encryption at rest taken out, for bench/checkin.py only.

Served as ``gunicorn -c gunicorn.conf.py bench.clear:app`` beside the real app, so
that the bench prints what encrypting names and phone numbers (AES-256-GCM per value,
signage/crypto.py) costs the check-in POST: the issue's bound is 10 % of its server
CPU. Everything else is the real app; the key ring's encrypt and decrypt become a
plain UTF-8 encoding, and the server writes into its own copy of the database
(BENCH_CLEAR_DB), never into the one the real app's rows go to. Never deployed.
"""

from __future__ import annotations

import os

from signage import crypto

os.environ["SIGNAGE_DATABASE_URL"] = f"sqlite:///{os.environ['BENCH_CLEAR_DB']}"


def _encode(_ring: crypto.KeyRing, text: str, _context: bytes) -> bytes:
    return text.encode()


def _decode(_ring: crypto.KeyRing, blob: bytes, _context: bytes) -> str:
    return bytes(blob).decode()


setattr(crypto.KeyRing, "encrypt", _encode)  # noqa: B010 - the bench's whole point
setattr(crypto.KeyRing, "decrypt", _decode)  # noqa: B010

from wsgi import app  # noqa: E402 - after the patch, so the app's engine sees it

__all__ = ["app"]
