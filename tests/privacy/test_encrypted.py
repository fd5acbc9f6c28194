"""A data-subject request's phone number is encrypted at rest while the request is
open (0910_privacy_encrypted), found by its keyed hash, and gone once it closes:
only the mask, dates and counts stay."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from alembic import command
from sqlalchemy import select, text

from signage import create_app, crypto
from signage.accounts.models import Role
from signage.checkin import people
from signage.core.cli import alembic_config, upgrade
from signage.db import get_db
from signage.privacy.models import ErasureRequest

from ..conftest import PG_URL, base_config
from ..helpers import csrf_token, login
from ..test_crypto import _files
from .test_requests import _new_request

SENTINEL = "0366 515 253"
E164 = "+84366515253"


@pytest.fixture
def admin(client, make_user):
    login(client, make_user(Role.ADMIN))
    return client


FORMS = [b"0366515253", b"+84366515253", b"84366515253", SENTINEL.encode()]


@pytest.mark.sqlite_only
def test_an_open_request_holds_its_number_encrypted_and_a_closed_one_not_at_all(
    app,
    admin,
    session,
):
    req_id = _new_request(admin, SENTINEL)
    req = session.get(ErasureRequest, req_id)
    assert req.phone == E164  # the app reads it back
    assert req.phone_hash == people.phone_hash(app.config["SECRET_KEY"], E164)
    assert req.phone_masked == "036•••5253"
    assert [f.decode() for f in FORMS if f in _files(app)] == []

    # The same number again while the first is open: found by its hash, refused.
    twice = admin.post(
        "/privacy/requests",
        data={
            "csrf_token": csrf_token(admin, "/privacy/requests"),
            "phone": "+84 366 515 253",
            "received_on": date.today().isoformat(),
        },
    )
    assert twice.status_code == 422
    assert "đã có một yêu cầu đang mở" in twice.get_data(as_text=True)

    url = f"/privacy/requests/{req_id}"
    admin.post(
        f"{url}/refuse",
        data={"csrf_token": csrf_token(admin, url), "reason": "Gửi nhầm số điện thoại"},
    )
    row = session.execute(
        text("SELECT phone, phone_hash, phone_masked FROM erasure_requests")
    ).one()
    assert tuple(row) == (None, None, "036•••5253")
    # Closed, the number may be asked about again.
    assert _new_request(admin, SENTINEL) > req_id


def test_keys_rotate_re_encrypts_open_requests(app, admin, db_url, tmp_path):
    _new_request(admin, SENTINEL)
    old, new = app.config["DATA_KEY"], crypto.new_key()
    rotating = create_app({**base_config(tmp_path, db_url), "DATA_KEY": f"{new},{old}"})
    result = rotating.test_cli_runner().invoke(args=["keys", "rotate"])
    get_db(rotating).engine.dispose()
    assert result.exit_code == 0, result.output
    assert "erasure_requests: 1 rows read, 1 values re-encrypted" in result.output
    only_new = create_app({**base_config(tmp_path, db_url), "DATA_KEY": new})
    with get_db(only_new).read() as s:
        assert s.scalars(select(ErasureRequest.phone)).one() == E164
    get_db(only_new).engine.dispose()


@pytest.mark.skipif(bool(PG_URL), reason="migrates a database file of its own")
def test_migration_encrypts_open_requests_and_hashes_them(tmp_path):
    path = tmp_path / "old.db"
    app = create_app(base_config(tmp_path, f"sqlite:///{path}"))
    upgrade(app)
    command.downgrade(alembic_config(app), "0901_personal_ids")
    engine = get_db(app).engine
    with engine.begin() as conn:  # as the previous version stored them
        for phone, state in ((E164, "open"), (None, "erased")):
            conn.execute(
                text(
                    "INSERT INTO erasure_requests (received_on, due_on, state, phone, "
                    "phone_masked, note, created_at, outcome) VALUES ('2026-11-20', "
                    "'2026-12-10', :s, :p, '036•••5253', '', '2026-11-20 01:00:00', '')"
                ),
                {"p": phone, "s": state},
            )
    upgrade(app)
    with get_db(app).read() as s:
        rows = s.scalars(select(ErasureRequest).order_by(ErasureRequest.id)).all()
        assert [(r.phone, r.phone_masked) for r in rows] == [
            (E164, "036•••5253"),
            (None, "036•••5253"),
        ]
        assert rows[0].phone_hash == people.phone_hash(app.config["SECRET_KEY"], E164)
        assert rows[1].phone_hash is None
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    assert [f.decode() for f in FORMS if f in data] == []

    command.downgrade(alembic_config(app), "0901_personal_ids")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT phone FROM erasure_requests ORDER BY id"))
        assert [r[0] for r in back] == [E164, None]
    engine.dispose()
