"""No personal data in logs: a check-in whose INSERT fails leaves nothing of the
resident in any log line, even with SQLAlchemy's statement log turned on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from signage.checkin import people
from signage.db import get_db, sqlite_driver

from .conftest import form_fields

NAME, TYPED, E164 = "Đinh Thị Logsentinel", "0912 876 543", "+84912876543"


@pytest.fixture
def config_overrides():
    return {"SQLITE_BUSY_TIMEOUT_MS": 50}  # give up on a locked database quickly


def _break_checkins(app):
    """Make the check-in INSERT fail: on SQLite another process holds the write
    lock past the busy timeout; on PostgreSQL the table is away for a moment.
    Returns the function that puts things back."""
    engine = get_db(app).engine
    if engine.dialect.name == "sqlite":
        # The app's SQLite build: the standard library's does not see its locks.
        holder = sqlite_driver.connect(engine.url.database, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        return lambda: (holder.rollback(), holder.close())
    other = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with other.connect() as conn:
        conn.execute(text("ALTER TABLE checkins RENAME TO checkins_away"))

    def restore() -> None:
        with other.connect() as conn:
            conn.execute(text("ALTER TABLE checkins_away RENAME TO checkins"))
        other.dispose()

    return restore


def test_a_failed_check_in_writes_no_personal_data_to_any_log(
    app, client, make_venue, caplog, capfd
):
    venue = make_venue()
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    data = {"name": NAME, "phone": TYPED, "consent": "y", **form_fields(page)}
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # as with echo=True
    restore = _break_checkins(app)
    try:
        resp = client.post(f"/C/{venue.token}", data=data)
    finally:
        restore()
    assert resp.status_code >= 500  # the database failed (500 or 503)
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "INSERT INTO checkins" in logged  # the statement log saw the write
    national = "0" + E164[3:]
    secret = app.config["SECRET_KEY"]
    for value in (
        NAME,
        TYPED,
        E164,
        national,
        E164[1:],
        people.phone_hash(secret, E164),
    ):
        assert value not in logged
    assert not list(Path(app.instance_path).glob("*.log"))
