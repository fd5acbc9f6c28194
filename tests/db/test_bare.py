"""db.BareQuery: the public path's hottest read on the bare DBAPI cursor gives what
the same statement gives through SQLAlchemy, and fails the same way."""

from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DBAPIError

from signage import db
from signage.checkin import gate, services
from signage.venues.models import Venue


def test_the_venue_read_bare_is_the_venue_read_through_sqlalchemy(app, make_venue):
    venue = make_venue(name="Sảnh Bare")
    with app.app_context():
        with gate.autocommit(app) as conn:
            core = services.public_venue(conn, venue.token)
        bare = gate.public_venue(venue.token, app)
        assert bare == core and bare is not None
        assert bare.active is True and bare.name == "Sảnh Bare"
        assert gate.public_venue("0000000000", app) is None


def test_a_driver_error_is_sqlalchemys_with_its_parameters_hidden(app):
    engine = db.get_db(app).engine
    query = db.BareQuery(
        select(Venue.id)
        .where(Venue.token == text(":token"))
        .where(text("no_such_column = 1")),
        engine,
    )
    with pytest.raises(DBAPIError) as caught:
        query.first(token="SECRETTOKN")
    assert "SECRETTOKN" not in str(caught.value)
    assert "hidden" in str(caught.value)


def _venue_query(engine):
    return db.BareQuery(services.BY_TOKEN, engine)


@contextmanager
def _connections_made(engine):
    """The DBAPI connections ``engine`` makes, all closed with it at the end."""
    made = []
    event.listen(engine, "connect", lambda dbapi_conn, _rec: made.append(dbapi_conn))
    try:
        yield made
    finally:
        for conn in made:
            conn.close()
        engine.dispose()


@pytest.mark.sqlite_only
def test_on_sqlite_each_thread_and_process_keeps_one_connection(
    app, make_venue, monkeypatch
):
    """The pool is not asked on every read; a thread, or a forked worker, never
    uses another's connection, and the connection has the engine's pragmas."""
    venue = make_venue()
    engine = db.make_engine(db.database_url(app), busy_timeout_ms=1234)
    query = _venue_query(engine)
    with _connections_made(engine) as made:
        for _ in range(20):
            assert query.first(token=venue.token)[1] == venue.token
        assert len(made) == 1 and engine.pool.checkedout() == 0
        assert made[0].execute("PRAGMA busy_timeout").fetchone()[0] == 1234

        other: list[object] = []
        thread = threading.Thread(
            target=lambda: other.append(query.first(token=venue.token))
        )
        thread.start()
        thread.join()
        assert other[0] is not None and len(made) == 2 and made[1] is not made[0]

        # A worker forked after this thread's first read makes its own.
        monkeypatch.setattr(db, "_forks", db._forks)
        db._count_fork()  # what os.register_at_fork runs in the child
        assert query.first(token=venue.token) is not None
        assert len(made) == 3
        assert query.first(token=venue.token) is not None
        assert len(made) == 3


@pytest.mark.sqlite_only
def test_a_kept_connection_that_was_closed_is_replaced(app, make_venue):
    venue = make_venue()
    engine = db.make_engine(db.database_url(app))
    query = _venue_query(engine)
    with _connections_made(engine) as made:
        assert query.first(token=venue.token) is not None
        made[0].close()
        with pytest.raises(DBAPIError) as caught:
            query.first(token=venue.token)
        assert caught.value.connection_invalidated
        assert query.first(token=venue.token) is not None
        assert len(made) == 2


def test_a_pooled_connection_the_server_dropped_is_not_reused(app, make_venue, caplog):
    """Through the pool (PostgreSQL; SQLite in memory): a connection that fails as
    disconnected is invalidated, not rolled back and handed out again."""
    venue = make_venue()
    # No pre-ping (the app's PostgreSQL engine pings on checkout): the connection
    # fails at the query, as when the server goes away between checkout and query.
    engine = create_engine(db.get_db(app).engine.url)
    query = _venue_query(engine)
    query._kept = None  # the pooled path, whatever the database
    with _connections_made(engine) as made:
        assert query.first(token=venue.token) is not None
        assert query.first(token=venue.token) is not None
        assert len(made) == 1
        made[0].close()  # what a server restart does to it
        with pytest.raises(DBAPIError) as caught:
            query.first(token=venue.token)
        assert caught.value.connection_invalidated
        # Not put back to be rolled back (which fails, logging a traceback).
        assert "Exception during reset" not in caplog.text
        assert query.first(token=venue.token) is not None
        assert len(made) == 2
