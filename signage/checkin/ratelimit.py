"""Rate limits of the public check-in: ``allowed(limit_name, *keys)``.

The check-in views ask one question, "may this client/venue do one more?", here; the
counters live in the app limiter's storage (memory, or Redis shared by every worker)
and are hit with its strategy directly. Flask-Limiter's per-request machinery cost
more than the counting on this path, so its views are exempt from it (see
web.lean). When the storage fails (Redis down or unreachable) a check-in is more
important than a limit: ``allowed`` answers True and logs the outage (at most once a
minute per process, without the keys, which name a client), instead of a 500.

Keep the in-memory rate-limit storage from starting a thread per request.

``limits``' MemoryStorage clears expired counters from a ``threading.Timer`` that runs
once, 10 ms after it is armed, and every counter update re-arms it if it has finished.
Under steady traffic that is a new thread every few requests, and in a gunicorn
gthread worker starting one waits for the GIL: profiled, it was the largest single
cost of the check-in POST (about 0.8 ms of 2). Here one long-lived daemon thread
sweeps instead; as long as it is alive the storage never arms its Timer. Counters
themselves expire lazily on read, so sweeping less often only delays freeing memory.
With Redis (RATELIMIT_STORAGE_URI=redis://...) this changes nothing.
"""

from __future__ import annotations

import threading
import time
import weakref
from functools import lru_cache

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

SWEEP_SECONDS = 5.0
# limit name -> the setting that holds its rate ("30 per minute").
LIMITS = {
    "checkin-ip": "CHECKIN_LIMIT_PER_IP",
    "checkin-venue": "CHECKIN_LIMIT_PER_VENUE",
}
_OUTAGE_LOG_SECONDS = 60.0
_last_outage_log = 0.0


@lru_cache(maxsize=16)
def _parsed(text: str) -> RateLimitItem:
    return parse(text)


def allowed(limit_name: str, *keys: str) -> bool:
    """Count one hit of ``limit_name`` (a name in LIMITS) for ``keys``; False once
    over the limit. Rate limiting switched off: True. Storage failing: True, logged.
    """
    from ..extensions import limiter

    global _last_outage_log
    app = current_app
    if not app.config.get("RATELIMIT_ENABLED", True) or not limiter.enabled:
        return True
    item = _parsed(app.config[LIMITS[limit_name]])
    try:
        return bool(limiter.limiter.hit(item, limit_name, *keys))
    except Exception as e:  # noqa: BLE001 - any storage error: degrade, never a 500
        now = time.monotonic()
        if now - _last_outage_log >= _OUTAGE_LOG_SECONDS:
            _last_outage_log = now
            # The error's type only: a storage's message may quote the keys.
            app.logger.warning(
                "rate limit storage failed (%s): %s not enforced",
                type(e).__name__,
                limit_name,
            )
        return True


class _Sweeper(threading.Thread):
    def __init__(self, storage: MemoryStorage) -> None:
        super().__init__(name="ratelimit-sweeper", daemon=True)
        self._storage = weakref.ref(storage)

    def run(self) -> None:
        while True:
            storage = self._storage()
            # Exits once the storage is gone (a test app replaced, a worker ending).
            expire = getattr(storage, "_MemoryStorage__expire_events", None)
            if storage is None or expire is None or storage.timer is not self:
                return
            expire()
            del storage, expire
            time.sleep(SWEEP_SECONDS)


def keep_one_sweeper(app: Flask) -> None:
    """Replace the memory storage's one-shot Timer by one sweeping thread."""
    from ..extensions import limiter

    storage = getattr(limiter, "_storage", None)
    if not isinstance(storage, MemoryStorage) or not hasattr(storage, "timer"):
        return
    if not hasattr(storage, "_MemoryStorage__expire_events"):
        return  # limits changed its internals: keep its own behaviour
    sweeper = _Sweeper(storage)
    storage.timer = sweeper  # type: ignore[assignment]
    sweeper.start()
