"""The app's in-process caches: one module, on cachetools, one set per app.

Each cache lives in ``app.extensions`` (two apps in one process, as in the tests,
never share entries), is bounded, is keyed on the values its content is made from,
and is a function here whose docstring says what it saves, as measured. A cache is
per process: every gunicorn worker fills its own, and nothing in one may be needed
for correctness (a miss only costs the work it saves).

Add one only with a figure: speed comes from removing work first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import Cache, LRUCache, TTLCache
from flask import Flask

from .extensions import this_app

T = TypeVar("T")
_EXT_KEY = "signage.caches"
_MISSING = object()
CAMPAIGN_SECONDS = 10.0
# The clock the caches that expire go by (a name here, so tests can move it).
clock: Callable[[], float] = time.monotonic


def _now() -> float:
    return clock()


class _Caches:
    """The app's caches by name, and one lock (gthread workers share them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_name: dict[str, Cache[Any, Any]] = {
            "scan_page": LRUCache(maxsize=1024),
            "manifest": LRUCache(maxsize=256),
            "campaign": TTLCache(maxsize=1, ttl=CAMPAIGN_SECONDS, timer=_now),
        }


def init_app(app: Flask) -> None:
    app.extensions[_EXT_KEY] = _Caches()


def _get_or_make(name: str, key: Hashable, make: Callable[[], T]) -> T:
    caches: _Caches = this_app().extensions[_EXT_KEY]
    cache = caches.by_name[name]
    with caches.lock:
        value: Any = cache.get(key, _MISSING)
    if value is _MISSING:
        value = make()  # outside the lock: two misses may both make it, same value
        with caches.lock:
            cache[key] = value
    return value


def scan_page(key: Hashable, render: Callable[[], str]) -> str:
    """The blank scan page of a venue, with the per-visitor values as slots.

    Rendering ``checkin/scan.html`` (Jinja, a dozen translated strings, the ward
    name) is most of ``GET /C/<TOKEN>``: measured in-process on the lean path, the
    request took 0.54 ms with this cache and 1.54 ms rendering every time (best of 5
    rounds of 1000 through the WSGI app, no server).
    So the page is rendered once per key and two hidden values are filled in per
    request. The key is what the page is made from on every request: the venue as
    read on this request (so an edit, rotation or closing shows at once), the
    language and the retention days; never the URL's query string (random ones would
    evict real pages). The campaign identity in its header is not in the key, the
    period of CAMPAIGN_SECONDS the request falls in is: a page lives at most that
    long, so a campaign edit reaches it as it reaches every other page
    (:func:`campaign`), and the saving process drops the pages at once
    (:func:`forget_campaign`). Keying on the identity instead cost every request a
    look-up of :func:`campaign` and a hash of its seventeen fields, about 31,000 of
    GET /C/<TOKEN>'s 795,000 instructions (callgrind, bench/instructions.py); a
    TTLCache, the library's way to expire entries, costs a hit 1.2 us against 0.25
    us for an LRUCache (timeit), 15,000 instructions of the page.
    """
    period = int(clock() // CAMPAIGN_SECONDS)
    return _get_or_make("scan_page", (key, period), render)


def manifest(key: Hashable, build: Callable[[], bytes]) -> bytes:
    """A screen's manifest body, by its ETag (version, size, settings fingerprint).

    Every screen polls it; building it reads the version's slides and hashes every
    slide spec for its content key, which grows with the loop, while the ETag
    already names everything the body is made from. Measured with the test client,
    a 10-slide loop: 2.2 ms per poll with this cache, 3.6 ms building it each time.
    """
    return _get_or_make("manifest", key, build)


def campaign(read: Callable[[], T]) -> T:
    """The campaign identity (signage.campaign.current) every public page shows in
    its header, consent and footer, read at most once per CAMPAIGN_SECONDS.

    Without it every public page would open a Session and query the settings; the
    scan page otherwise needs no Session at all (gate.py). Measured in-process
    through the WSGI app on SQLite (best of 5 rounds of 500 GET /C/<TOKEN>, on a
    machine at load average 24 on 2 cores, so read the ratio, not the times):
    19.9 ms with this cache, 45.7 ms reading the settings on each request
    tests/campaign/test_settings.py checks the reuse and the clearing on save.
    An edit shows at once in the process that saved it (:func:`forget_campaign`)
    and within CAMPAIGN_SECONDS in the others (twice that on a scan page kept
    by :func:`scan_page` just before the identity expired).
    """
    return _get_or_make("campaign", "current", read)


def forget_campaign() -> None:
    """Drop the campaign identity and the pages drawn with it (a save)."""
    caches: _Caches = this_app().extensions[_EXT_KEY]
    with caches.lock:
        caches.by_name["campaign"].clear()
        caches.by_name["scan_page"].clear()
