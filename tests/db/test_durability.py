"""An acknowledged write survives a power cut: every connection that commits for the
app flushes the commit to disk first (signage/db.py make_engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from signage import db
from signage.checkin import gate


def _setting(conn) -> str:
    if conn.dialect.name == "sqlite":
        # 2 = FULL: the WAL is flushed at every commit (NORMAL, 1, is not).
        return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
            conn.exec_driver_sql("PRAGMA synchronous").scalar()
        ]
    # PostgreSQL flushes its WAL before COMMIT returns unless this is off.
    return str(conn.execute(text("SHOW synchronous_commit")).scalar())


def test_every_write_path_flushes_its_commits(app):
    durable = {"FULL", "on"}
    with app.test_request_context("/", method="POST"):
        assert _setting(db.session().connection()) in durable  # views and CLI
        with gate.autocommit() as conn:  # the public check-in POST
            assert _setting(conn) in durable
        with db.autocommit() as conn:
            assert _setting(conn) in durable


@pytest.mark.sqlite_only
@pytest.mark.parametrize("config_overrides", [{"SQLITE_SYNCHRONOUS": "NORMAL"}])
def test_the_trade_off_can_be_chosen(app):
    with app.test_request_context("/", method="POST"):
        with gate.autocommit() as conn:
            assert _setting(conn) == "NORMAL"
        assert _setting(db.session().connection()) == "NORMAL"
