"""Keep the in-memory rate-limit storage from starting a thread per request.

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

from flask import Flask
from limits.storage import MemoryStorage

SWEEP_SECONDS = 5.0


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
