"""Rate limits as one small service, bound to the app (Warehouse's limiter wrapper).

Views ask ``allowed("checkin-ip", address)``; the figures come from the settings named
in :data:`RULES`; the counters live in the storage of ``RATELIMIT_STORAGE_URI``:

- empty (the default): a SQLite file ``instance/ratelimit.db``
  (:mod:`signage.ratelimit.sqlite`), shared by every worker on the machine;
- ``redis://host:6379/0``: shared by every host (the one to use with several hosts);
- ``memory://``: one process only, for tests.

Every limit is a sliding window counter (limits' strategy): a burst straddling a
window boundary is held to the figure (a fixed window would let twice as many through).
Keys are keyed hashes (BLAKE2b with a key derived from SECRET_KEY): the storage never
holds an address or an e-mail address.

When the storage fails (Redis down or hung, the SQLite file unwritable) nobody gets a
500. The error is logged once, without personal data, and the storage is left alone
for ``RETRY_SECONDS`` (a hung Redis would otherwise cost every request its socket
timeout); meanwhile each limit does what its rule says:

- residents' check-ins fail OPEN: a resident at a door must never be turned away by
  our infrastructure, and a flood still meets the database's own costs;
- logins fall back to counting in this process's memory (LOCAL): with N workers an
  attacker gets at most N times the figure (40 per account per 15 minutes with 4
  workers), never unlimited guesses. Failing closed would lock every manager out of
  the portal while Redis is down. Failing open would leave only argon2id's cost
  (3 passes over 64 MiB: tens of milliseconds of a core per guess on an idle
  machine), which still allows thousands of guesses an hour per account: too many
  for the 10-per-15-minutes promise.

Cost per hit through this service (``.venv/bin/python bench/ratelimit.py --rounds 5
--hits 10000``, medians, on the shared 2-core machine at load ~9): memory
25 µs, the SQLite file 92 µs (3.8x memory; 74 µs with synchronous=OFF, not worth a
file that a power cut can corrupt), Redis on 127.0.0.1 510 µs (20x). A check-in POST
makes two hits. Four processes hitting one counter at once lose no update (12,000
hits/s on the SQLite file).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from . import sqlite  # noqa: F401  (registers the signage+sqlite:// scheme)

EXT_KEY = "signage.ratelimit"
RETRY_SECONDS = 5.0
# A hung Redis must cost a request little: local Redis answers in well under 1 ms.
REDIS_OPTIONS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}

log = logging.getLogger(__name__)


class OnError(enum.Enum):
    OPEN = "open"  # allow every request while the storage is down
    LOCAL = "local"  # count in this process's memory while the storage is down


@dataclass(frozen=True)
class Rule:
    setting: str  # the config key holding the figure, e.g. "300 per minute"
    on_error: OnError


RULES: dict[str, Rule] = {
    "checkin-ip": Rule("CHECKIN_LIMIT_PER_IP", OnError.OPEN),
    "checkin-venue": Rule("CHECKIN_LIMIT_PER_VENUE", OnError.OPEN),
    "login-account": Rule("LOGIN_LIMIT_PER_ACCOUNT", OnError.LOCAL),
    "login-ip": Rule("LOGIN_LIMIT_PER_IP", OnError.LOCAL),
    "reset-account": Rule("RESET_LIMIT_PER_ACCOUNT", OnError.LOCAL),
    "register-ip": Rule("REGISTER_LIMIT_PER_IP", OnError.LOCAL),
    "register-email": Rule("REGISTER_LIMIT_PER_EMAIL", OnError.LOCAL),
}


@lru_cache(maxsize=32)
def _parsed(text: str) -> RateLimitItem:
    return parse(text)


def default_storage_uri(app: Flask) -> str:
    return f"signage+sqlite://{Path(app.instance_path) / 'ratelimit.db'}"


class RateLimiter:
    """Named limits over one ``limits`` storage; never raises for a storage error.

    ``hit`` takes one unit and says whether it fitted; ``test`` only looks;
    ``refund`` gives one back (a login that succeeded); ``clear`` forgets the keys;
    ``resets_in`` is the seconds until one more would fit. ``keys`` identify who or
    what is limited (an address, an account, a venue token).
    """

    def __init__(
        self,
        uri: str,
        *,
        config: dict[str, Any],
        secret: str,
        rules: dict[str, Rule] | None = None,
    ) -> None:
        options = REDIS_OPTIONS if uri.startswith(("redis", "valkey")) else {}
        self.storage = cast(
            Storage, storage_from_string(uri, wrap_exceptions=True, **options)
        )
        self._strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._config = config
        self._rules = rules if rules is not None else RULES
        self._key = hashlib.blake2b(
            secret.encode(), digest_size=32, person=b"signage-ratelim"
        ).digest()
        self._down_until = 0.0
        self._local: SlidingWindowCounterRateLimiter | None = None
        self._local_lock = threading.Lock()
        for name in self._rules:
            self._item(name)  # a malformed figure fails at start-up, not at a door

    # Public API ------------------------------------------------------------------

    def hit(self, limit: str, *keys: str) -> bool:
        return self._call(limit, keys, "hit", True)

    def test(self, limit: str, *keys: str) -> bool:
        return self._call(limit, keys, "test", True)

    def refund(self, limit: str, *keys: str) -> None:
        # limits' sliding window takes a negative cost as a give-back (tested on
        # memory, SQLite and Redis in tests/test_ratelimit.py).
        self._call(limit, keys, "refund", None)

    def clear(self, limit: str, *keys: str) -> None:
        self._call(limit, keys, "clear", None)

    def resets_in(self, limit: str, *keys: str) -> float:
        stats = self._call(limit, keys, "stats", None)
        return max(0.0, stats.reset_time - time.time()) if stats else 0.0

    # Internals ---------------------------------------------------------------------

    def _item(self, limit: str) -> RateLimitItem:
        return _parsed(str(self._config[self._rules[limit].setting]))

    def _identifier(self, limit: str, keys: tuple[str, ...]) -> str:
        h = hashlib.blake2b(limit.encode(), key=self._key, digest_size=16)
        for key in keys:
            h.update(b"\0" + key.encode("utf-8", "surrogatepass"))
        return limit + ":" + h.hexdigest()

    def _call(self, limit: str, keys: tuple[str, ...], op: str, default: Any) -> Any:
        if not self._config.get("RATELIMIT_ENABLED", True):
            return default
        item, ident = self._item(limit), self._identifier(limit, keys)
        if time.monotonic() >= self._down_until:
            try:
                result = _run(self._strategy, op, item, ident)
            except StorageError as e:
                self._went_down(e)
            else:
                if self._down_until:
                    self._down_until = 0.0
                    log.warning("rate-limit storage answers again")
                return result
        if self._rules[limit].on_error is OnError.LOCAL:
            return _run(self._local_strategy(), op, item, ident)
        return default

    def _went_down(self, error: StorageError) -> None:
        if not self._down_until:  # once per outage; no key, address or account
            cause = error.storage_error
            log.error(
                "rate-limit storage failed (%s: %s); check-ins allowed, logins "
                "counted per process, retrying every %.0f s",
                type(cause).__name__,
                cause,
                RETRY_SECONDS,
            )
        self._down_until = time.monotonic() + RETRY_SECONDS

    def _local_strategy(self) -> SlidingWindowCounterRateLimiter:
        with self._local_lock:  # made on first need: MemoryStorage starts a thread
            if self._local is None:
                self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
            return self._local


def _run(
    strategy: SlidingWindowCounterRateLimiter, op: str, item: RateLimitItem, key: str
) -> Any:
    if op == "hit":
        return strategy.hit(item, key)
    if op == "test":
        return strategy.test(item, key)
    if op == "refund":
        return strategy.hit(item, key, cost=-1)
    if op == "clear":
        return strategy.clear(item, key)
    return strategy.get_window_stats(item, key)


def init_app(app: Flask) -> None:
    """Bind a RateLimiter to the app; fill in the default storage URI first, so
    Flask-Limiter (which reads the same setting) counts in the same place."""
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = default_storage_uri(app)
    uri = app.config["RATELIMIT_STORAGE_URI"]
    if uri.startswith(("redis", "valkey")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_OPTIONS))
    app.extensions[EXT_KEY] = RateLimiter(
        uri, config=app.config, secret=str(app.config["SECRET_KEY"])
    )


def limiter(app: Flask | None = None) -> RateLimiter:
    return cast(RateLimiter, (app or current_app).extensions[EXT_KEY])


def allowed(limit: str, *keys: str) -> bool:
    """Take one unit of the named limit for these keys: False when it is used up.

    Never raises for a storage failure (see the module docstring)."""
    return limiter().hit(limit, *keys)
