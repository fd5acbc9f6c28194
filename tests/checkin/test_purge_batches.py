"""The retention purge holds the write lock briefly: batch sizes follow the time
each batch really held it."""

from __future__ import annotations

import gc
from datetime import timedelta

from sqlalchemy import func, select

from signage.checkin import purge as purging
from signage.checkin import services
from signage.checkin.models import CheckIn
from signage.db import get_db, utcnow

from .test_retention import _bulk


def test_batches_follow_the_time_budget_on_a_slow_machine(
    app, session, make_venue, monkeypatch
):
    """A clock that charges 0.4 ms per deleted row (three times the measured
    cost): no batch after the first holds the lock past the budget (BUDGET_MS), none
    past the 50 ms bound, and every old row goes."""
    venue = make_venue()
    _bulk(session, venue, 1500, utcnow() - timedelta(days=40), prefix="o")
    _bulk(session, venue, 5, utcnow(), prefix="n")
    now = [0.0]
    real = services.purge_batch

    def slow(s, cutoff, batch, **kw):
        done = real(s, cutoff, batch, **kw)
        now[0] += 0.0004 * done.checkins + 0.001
        return done

    monkeypatch.setattr(services, "purge_batch", slow)
    report = purging.purge(
        get_db(app).write,
        utcnow() - timedelta(days=28),
        max_batch=5000,
        pause_s=0,
        clock=lambda: now[0],
    )
    assert report.checkins == 1500
    assert session.scalar(select(func.count(CheckIn.id))) == 5
    held = [b.held_ms for b in report.batches]
    assert max(held) <= 50
    assert all(h <= purging.BUDGET_MS + 0.5 for h in held[1:])
    assert max(b.size for b in report.batches) <= purging.BUDGET_MS / 0.4 + 1
    assert len(report.batches) >= 1500 / (purging.BUDGET_MS / 0.4)


def test_each_batch_is_sized_from_the_last_hold(app, session, make_venue):
    """On the real clock: each batch's size is the one the previous batch's measured
    hold called for, never above the cap, and the purge is complete."""
    venue = make_venue()
    _bulk(session, venue, 2000, utcnow() - timedelta(days=30), prefix="o")
    report = purging.purge(
        get_db(app).write, utcnow() - timedelta(days=28), max_batch=300, pause_s=0
    )
    assert report.checkins == 2000
    assert session.scalar(select(func.count(CheckIn.id))) == 0
    sizes = [b.size for b in report.batches]
    assert sizes[0] == purging.FIRST_BATCH and max(sizes) <= 300
    for before, after in zip(report.batches, report.batches[1:], strict=False):
        assert after.size == purging.next_size(
            before.size, before.held_ms, purging.BUDGET_MS, 300
        )
    assert all(b.checkins <= b.size for b in report.batches)


def test_next_size_shrinks_at_once_and_grows_at_most_twofold():
    assert purging.next_size(1000, 100.0, 20.0, 5000) == 200
    assert purging.next_size(100, 1.0, 20.0, 5000) == 200
    assert purging.next_size(100, 1.0, 20.0, 150) == 150
    assert purging.next_size(20, 1000.0, 20.0, 5000) == purging.MIN_BATCH


def test_purge_leaves_check_ins_the_reports_have_not_counted(app, session, make_venue):
    venue = make_venue()
    _bulk(session, venue, 10, utcnow() - timedelta(days=40), prefix="o")
    top = session.scalar(select(func.max(CheckIn.id)))
    with get_db(app).write() as s:
        done = services.purge_batch(s, utcnow(), 100, max_id=top - 3)
        s.commit()
    assert done.checkins == 7
    assert session.scalar(select(func.count(CheckIn.id))) == 3


def test_no_garbage_collection_while_a_batch_holds_the_lock(
    app, session, make_venue, monkeypatch
):
    venue = make_venue()
    _bulk(session, venue, 300, utcnow() - timedelta(days=40), prefix="g")
    seen: list[bool] = []
    batch = services.purge_batch

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return batch(*args, **kwargs)

    monkeypatch.setattr(services, "purge_batch", watched)
    report = purging.purge(
        get_db(app).write, utcnow() - timedelta(days=28), max_batch=100, pause_s=0
    )
    assert report.checkins == 300
    assert seen and not any(seen)  # off inside every batch
    assert gc.isenabled()  # and back on after
