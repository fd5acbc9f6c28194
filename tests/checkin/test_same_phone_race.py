"""The same phone at the same venue, sent at the same instant from different forms
(two tabs, a form re-opened and sent again), is one check-in on either database."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import func, select

from signage.checkin import gate, people, services
from signage.checkin.models import CheckIn


def _race(app: Flask, venue: services.PublicVenue, phone: str, senders: int) -> set:
    """``senders`` threads check the same phone in at once, each with its own form
    (submission id) and connection; returns the references they were shown."""
    start = threading.Barrier(senders)
    refs: list[str] = []
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            with app.app_context(), gate.autocommit(app) as conn:
                start.wait()
                recorded = gate.retry_busy(
                    lambda: services.check_in(
                        conn,
                        venue,
                        services.Visitor("Đặng Thị Thu", phone),
                        submission_id=f"race-{i}-{phone}",
                        secret=app.config["SECRET_KEY"],
                    ),
                    timeout_ms=15_000,
                )
                refs.append(recorded.public_ref)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return set(refs)


def test_simultaneous_forms_with_one_phone_make_one_check_in(app, session, make_venue):
    venue = make_venue()
    with app.app_context(), gate.autocommit(app) as conn:
        public = services.public_venue(conn, venue.token)
    assert public is not None
    for n in range(15):
        phone = f"+849012{n:05d}"
        shown = _race(app, public, phone, senders=6)
        stored = session.scalar(
            select(func.count(CheckIn.id)).where(
                CheckIn.venue_id == venue.id,
                CheckIn.phone_hash
                == people.phone_hash(app.config["SECRET_KEY"], phone),
            )
        )
        assert stored == 1, f"round {n}: {stored} rows for one phone"
        assert len(shown) == 1  # every sender was shown the same check-in
