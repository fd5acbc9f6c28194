"""db.BareQuery: the public path's hottest read on the bare DBAPI cursor gives what
the same statement gives through SQLAlchemy, and fails the same way."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
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
        engine.dialect,
    )
    with pytest.raises(DBAPIError) as caught:
        query.first(engine, token="SECRETTOKN")
    assert "SECRETTOKN" not in str(caught.value)
    assert "hidden" in str(caught.value)
