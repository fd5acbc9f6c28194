"""The retention purge without stalls: many short transactions, each sized so it holds
the write lock for about ``budget_ms``, with a pause between them for check-ins.

A fixed batch cannot do this: deleting a check-in costs about 150 µs on SQLite (the
row, five indexes, its feedback), but that varies with the machine, the cache and the
load, and 5,000 rows held the lock for 0.7 s. So the batch size follows the time the
previous batch really held the lock (from BEGIN IMMEDIATE to the end of COMMIT): it
shrinks at once after a slow batch and grows at most twofold after a fast one.

This module is a transaction boundary, like a CLI command: it commits each batch.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from .. import erase
from . import services
from .signals import before_purge

BUDGET_MS = 10.0  # target per batch; the bound is 50 ms (outliers run 3-4x the target)
PAUSE_S = 0.02  # between batches: waiting check-ins take the lock
FIRST_BATCH = 20
MIN_BATCH = 10
PERSONAL_TABLES = ("checkins", "checkin_feedback")


@dataclass
class Batch:
    checkins: int
    feedback: int
    size: int  # rows asked for
    held_ms: float  # write lock held, BEGIN to end of COMMIT


@dataclass
class PurgeReport:
    checkins: int = 0
    feedback: int = 0
    batches: list[Batch] = field(default_factory=list)

    @property
    def max_held_ms(self) -> float:
        return max((b.held_ms for b in self.batches), default=0.0)

    @property
    def median_held_ms(self) -> float:
        held = sorted(b.held_ms for b in self.batches)
        return held[len(held) // 2] if held else 0.0

    @property
    def p99_held_ms(self) -> float:
        held = sorted(b.held_ms for b in self.batches)
        return held[min(int(len(held) * 0.99), len(held) - 1)] if held else 0.0


def next_size(size: int, held_ms: float, budget_ms: float, max_batch: int) -> int:
    """The batch size that should hold the lock for ``budget_ms``, judging by the
    last batch: at most twice the last one, at least MIN_BATCH (or max_batch)."""
    wanted = size * 2 if held_ms <= 0 else int(size * budget_ms / held_ms)
    return max(min(MIN_BATCH, max_batch), min(wanted, size * 2, max_batch))


def _bound(write: Callable[[], Session], signal_kwargs: dict[str, Any]) -> int | None:
    """Ask the listeners (reports' rollups) how far the purge may go. Each answer
    may come in steps (a listener does a bounded amount of work per transaction, so
    even a large uncounted backlog never holds the lock long): ask again while any
    answer still moves."""
    last: list[Any] | None = None
    while True:
        with write() as s:
            answers = [v for _r, v in before_purge.send(s, **signal_kwargs)]
            s.commit()
        if not answers:
            return None
        if answers == last:
            return min(answers)
        last = answers


def _checkpoint(write: Callable[[], Session]) -> None:
    """SQLite: copy the batch's pages from the WAL into the database now, outside
    any transaction (PASSIVE never blocks writers). Otherwise the WAL grows by every
    batch until some commit reaches the auto-checkpoint threshold and does it
    inside its COMMIT, and that commit may be a resident's check-in."""
    with write() as s:
        engine = s.get_bind().engine
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                conn.execution_options(sqlite_autocommit=True).exec_driver_sql(
                    "PRAGMA wal_checkpoint(PASSIVE)"
                )


def _scrub(write: Callable[[], Session]) -> None:
    """After the last batch: nothing purged stays readable in the files (the WAL
    truncated on SQLite, the tables vacuumed on PostgreSQL; see signage/erase.py).
    It also clears what residents and data-subject requests deleted since the last
    purge, when their own scrub found the WAL busy."""
    with write() as s:
        engine = s.get_bind().engine
    erase.scrub(engine, PERSONAL_TABLES)


@contextmanager
def _no_gc_pause() -> Iterator[None]:
    """No cyclic garbage collection while the write lock is held: a full collection
    of a large process (a job consumer) took one batch from 12 to 87 ms in
    bench/province.py; it runs between batches instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def purge(
    write: Callable[[], Session],
    cutoff: datetime,
    *,
    max_batch: int = 5000,
    budget_ms: float = BUDGET_MS,
    pause_s: float = PAUSE_S,
    clock: Callable[[], float] = time.perf_counter,
    on_batch: Callable[[Batch], None] | None = None,
    **signal_kwargs: Any,
) -> PurgeReport:
    """Delete check-ins and feedback older than ``cutoff`` in adaptive batches.

    ``write`` makes a write Session (BEGIN IMMEDIATE on SQLite). Listeners of
    ``before_purge`` (the reports' rollups) run first in their own transaction and
    bound the ids that may go. ``on_batch`` sees each batch (a progress bar).
    """
    max_id = _bound(write, signal_kwargs)
    report = PurgeReport()
    size = min(FIRST_BATCH, max_batch)
    while True:
        with write() as s, _no_gc_pause():
            s.connection()  # begins: from here this transaction holds the lock
            start = clock()
            done = services.purge_batch(s, cutoff, size, max_id=max_id)
            s.commit()
            held = (clock() - start) * 1000
        _checkpoint(write)
        batch = Batch(done.checkins, done.feedback, size, held)
        report.batches.append(batch)
        report.checkins += done.checkins
        report.feedback += done.feedback
        if on_batch is not None:
            on_batch(batch)
        if done.checkins < size and done.feedback < size:
            _scrub(write)
            return report
        size = next_size(size, held, budget_ms, max_batch)
        time.sleep(pause_s)
