"""Cost of one rate-limit hit per storage, as a ratio to memory:// (not a test).

    .venv/bin/python bench/ratelimit.py [--hits 20000] [--rounds 3] [--processes 4]
        [--redis redis://127.0.0.1:6379/15]

Goes through signage.ratelimit.RateLimiter (key hashing, the sliding window counter,
the storage), as the check-in POST does, with a new key every 50 hits so counters are
created as well as updated. Storages: memory://, the default SQLite file (in a temporary
directory) with synchronous=NORMAL and OFF, and Redis when --redis or
SIGNAGE_TEST_REDIS_URL is given (the bench flushes nothing; keys expire in a minute).
Rounds are interleaved; prints the median microseconds per hit and the ratio.

Then, for the shared storages, --processes processes hit the same key at once
(--hits each, limit far above the total) and the bench checks that the count is exact
and prints the throughput: what 4 gunicorn workers see under a flood.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from signage.ratelimit import OnError, RateLimiter, Rule  # noqa: E402

RULES = {"bench": Rule("BENCH_LIMIT", OnError.OPEN)}


def _limiter(uri: str, figure: str = "1000000 per minute") -> RateLimiter:
    config = {"BENCH_LIMIT": figure, "RATELIMIT_ENABLED": True}
    return RateLimiter(uri, config=config, secret="bench-secret", rules=RULES)


def _per_hit_us(limiter: RateLimiter, hits: int, tag: str) -> float:
    started = time.perf_counter()
    for i in range(hits):
        limiter.hit("bench", f"{tag}-{i // 50}")
    return (time.perf_counter() - started) / hits * 1e6


def _flood(uri: str, hits: int, start: float, tag: str) -> None:
    limiter = _limiter(uri)
    while time.time() < start:
        time.sleep(0.001)
    for _ in range(hits):
        assert limiter.hit("bench", tag)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hits", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--redis", default=os.environ.get("SIGNAGE_TEST_REDIS_URL", ""))
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-ratelimit-"))
    uris = {
        "memory": "memory://",
        "sqlite NORMAL": f"signage+sqlite://{tmp}/normal.db",
        "sqlite OFF": f"signage+sqlite://{tmp}/off.db?synchronous=OFF",
    }
    if args.redis:
        uris["redis"] = args.redis
    limiters = {name: _limiter(uri) for name, uri in uris.items()}
    for limiter in limiters.values():
        limiter.hit("bench", "warm-up")

    results: dict[str, list[float]] = {name: [] for name in limiters}
    for r in range(args.rounds):
        for name, limiter in limiters.items():
            tag = f"{os.getpid()}-{r}-{time.time_ns()}"
            results[name].append(_per_hit_us(limiter, args.hits, tag))
    base = statistics.median(results["memory"])
    print(f"{'storage':<15}{'µs/hit':>9}{'× memory':>10}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:<15}{med:>9.1f}{med / base:>10.1f}")

    print(f"\n{args.processes} processes × {args.hits} hits on one key at once:")
    ctx = multiprocessing.get_context("fork")
    for name, uri in uris.items():
        if name in {"memory", "sqlite OFF"}:
            continue
        tag = f"flood-{time.time_ns()}"
        start = time.time() + 0.5
        procs = [
            ctx.Process(target=_flood, args=(uri, args.hits, start, tag))
            for _ in range(args.processes)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        elapsed = time.time() - start
        limiter = _limiter(uri)
        key = limiter._item("bench").key_for(limiter._identifier("bench", (tag,)))
        _prev, _pttl, counted, _cttl = limiter.storage.get_sliding_window(key, 60)
        total = args.processes * args.hits
        print(
            f"  {name:<13} counted {counted} of {total} "
            f"({'exact' if counted == total else 'LOST UPDATES'}), "
            f"{total / elapsed:,.0f} hits/s"
        )


if __name__ == "__main__":
    main()
