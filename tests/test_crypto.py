"""Names, phone numbers and free text encrypted at rest (signage/crypto.py): what a
copy of the database files shows, the development key, rotation, the migration."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from signage import create_app, crypto
from signage.accounts import services as accounts
from signage.accounts.models import OrgKind
from signage.cards.models import PersonalCard
from signage.checkin import people
from signage.checkin.models import CheckIn, Feedback
from signage.core.cli import alembic_config, upgrade
from signage.db import get_db
from signage.text import fold
from signage.venues import services as venues

from .checkin.conftest import form_fields
from .conftest import PG_URL, base_config
from .helpers import csrf_token

# Sentinels: written nowhere else in the suite, so any hit in the files is ours.
PEOPLE = [
    ("Quách Thị Sentinelia", "0389765432", "+84389765432"),
    ("H'Hen Sentinelô Niê", "0359 876 543", "+84359876543"),
]
CARD = ("Y Sentinelum Ênuôl", "0868123457", "+84868123457")
MESSAGE = "Gọi lại cho Lò Văn Sentinelix số 0377111222 nhé"


def _forms(name: str, typed: str, e164: str) -> list[bytes]:
    """Every way the value could sit in a file: as typed, normalised, folded,
    national and international, without the '+'."""
    national = "0" + e164[3:]
    words = [name, fold(name), name.upper(), typed, e164, national, e164[1:]]
    return [w.encode() for w in words]


def _files(app) -> bytes:
    """The database file with its WAL and shared memory, copied as a thief would
    copy them (while the app holds them open)."""
    path = Path(get_db(app).engine.url.database)
    data = b""
    for suffix in ("", "-wal", "-shm"):
        f = path.with_name(path.name + suffix)
        if f.exists():
            copy = path.with_name("copy" + suffix)
            shutil.copyfile(f, copy)
            data += copy.read_bytes()
    return data


def _check_in(client, venue, name: str, phone: str) -> str:
    """Scan and check in like a phone; returns the confirmation URL."""
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    data = {"name": name, "phone": phone, "consent": "y", **form_fields(page)}
    resp = client.post(f"/C/{venue.token}", data=data)
    assert resp.status_code == 303
    return resp.headers["Location"]


@pytest.mark.sqlite_only
def test_a_copy_of_the_database_and_wal_holds_no_name_or_number(
    app, client, session, make_venue
):
    venue = make_venue(name="Nhà văn hoá Kiểm Tra")
    for name, typed, _e164 in PEOPLE:
        confirmation = _check_in(client, venue, name, typed)
    token = csrf_token(client, confirmation)
    fb = client.post(
        confirmation + "/feedback",
        data={"csrf_token": token, "category": "other", "message": MESSAGE},
    )
    assert fb.status_code == 303
    card = client.post(
        "/the",
        data={
            "csrf_token": csrf_token(client, "/the"),
            "name": CARD[0],
            "phone": CARD[1],
            "consent": "y",
        },
    )
    assert card.status_code == 303
    # Stored, and read back in clear by the app.
    assert {(c.name, c.phone) for c in session.scalars(select(CheckIn))} == {
        (n, e) for n, _t, e in PEOPLE
    }
    assert session.scalars(select(Feedback.message)).one() == MESSAGE
    assert session.scalars(select(PersonalCard.name)).one() == CARD[0]

    files = _files(app)
    assert Path(get_db(app).engine.url.database + "-wal").stat().st_size > 0
    # The scan sees the file's content: the venue's name (not personal) is there.
    assert "Nhà văn hoá Kiểm Tra".encode() in files
    sentinels = [s for n, t, e in [*PEOPLE, CARD] for s in _forms(n, t, e)]
    sentinels += [MESSAGE.encode(), b"Sentinelix", b"0377111222"]
    found = [s.decode() for s in sentinels if s in files]
    assert found == []


def test_a_value_opens_only_in_its_own_column_and_with_a_listed_key():
    ring = crypto.KeyRing.from_keys(crypto.parse_keys(crypto.new_key()))
    blob = ring.encrypt("Nguyễn Văn An", b"checkins.name")
    assert ring.decrypt(blob, b"checkins.name") == "Nguyễn Văn An"
    assert ring.encrypt("Nguyễn Văn An", b"checkins.name") != blob  # fresh nonce
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(blob, b"checkins.phone")  # moved to another column
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(crypto.DataKeyError):
        ring.decrypt(tampered, b"checkins.name")
    other = crypto.KeyRing.from_keys(crypto.parse_keys(crypto.new_key()))
    with pytest.raises(crypto.DataKeyError, match="does not list"):
        other.decrypt(blob, b"checkins.name")


def test_development_generates_one_private_key_file(tmp_path):
    cfg = {**base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}"), "DATA_KEY": ""}
    cfg["ENV"] = "development"
    apps = []
    for _ in range(2):
        app = create_app(cfg)
        app.instance_path = str(tmp_path / "instance")
        apps.append(app)
    first = crypto.keyring(apps[0])
    key_file = tmp_path / "instance" / crypto.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert crypto.keyring(apps[1]).current_id == first.current_id
    blob = first.encrypt("Trần Thị Bình", b"checkins.name")
    assert crypto.keyring(apps[1]).decrypt(blob, b"checkins.name") == "Trần Thị Bình"


def test_keys_rotate_re_encrypts_every_value_in_batches(
    app, client, db_url, tmp_path, make_venue
):
    venue = make_venue()
    for i in range(5):
        _check_in(client, venue, f"Người Số {i}", f"09123450{i:02d}")
    old = app.config["DATA_KEY"]
    new = crypto.new_key()

    rotating = create_app({**base_config(tmp_path, db_url), "DATA_KEY": f"{new},{old}"})
    result = rotating.test_cli_runner().invoke(args=["keys", "rotate", "--batch", "2"])
    get_db(rotating).engine.dispose()
    assert result.exit_code == 0, result.output
    assert "checkins: 5 rows read, 10 values re-encrypted in 3 batches" in result.output

    only_new = create_app({**base_config(tmp_path, db_url), "DATA_KEY": new})
    with get_db(only_new).read() as s:
        names = sorted(s.scalars(select(CheckIn.name)))
        blobs = s.execute(text("SELECT name, phone FROM checkins")).all()
    get_db(only_new).engine.dispose()
    assert names == [f"Người Số {i}" for i in range(5)]
    new_id = crypto.key_id(crypto.parse_keys(new)[0]).hex()
    assert {crypto.blob_key_id(bytes(b)) for row in blobs for b in row} == {new_id}

    again = create_app({**base_config(tmp_path, db_url), "DATA_KEY": f"{new},{old}"})
    result = again.test_cli_runner().invoke(args=["keys", "rotate"])
    get_db(again).engine.dispose()
    assert "checkins: 5 rows read, 0 values re-encrypted" in result.output


@pytest.mark.skipif(bool(PG_URL), reason="migrates a database file of its own")
def test_migration_encrypts_the_rows_already_stored(tmp_path):
    path = tmp_path / "old.db"
    app = create_app(base_config(tmp_path, f"sqlite:///{path}"))
    upgrade(app)
    cfg = alembic_config(app)
    command.downgrade(cfg, "0210_checkin_submission")
    command.downgrade(cfg, "0600_cards")
    engine = get_db(app).engine
    with Session(engine) as s:  # organisations and venues are as they were
        org = accounts.create_org(
            s,
            accounts.OrgData(
                name="Tổ",
                kind=OrgKind.BUSINESS,
                province_code=46,
                ward_code=19786,
                address="1 Lê Lợi",
            ),
        )
        venues.create_venue(
            s, org, venues.VenueData(name="Sảnh", address="1", ward_code=19786)
        )
        s.commit()
    with engine.begin() as conn:  # rows as the previous version stored them
        conn.execute(
            text(
                "INSERT INTO checkins (venue_id, public_ref, submission_id, name, "
                "name_fold, phone, phone_hash, checked_in_at, auto_out_at) VALUES "
                "(1, 'ref1', 'sub1', :n, :f, :p, 'h', '2026-11-30 01:00:00', "
                "'2026-11-30 02:00:00')"
            ),
            {"n": PEOPLE[0][0], "f": fold(PEOPLE[0][0]), "p": PEOPLE[0][2]},
        )
        conn.execute(
            text(
                "INSERT INTO checkin_feedback (venue_id, checkin_id, category, "
                "message, created_at) VALUES (1, 1, 'other', :m, "
                "'2026-11-30 01:05:00')"
            ),
            {"m": MESSAGE},
        )
        conn.execute(
            text(
                "INSERT INTO personal_cards (code, name, phone, created_at, "
                "last_used_at) VALUES ('C0DE', :n, :p, '2026-11-30 00:00:00', "
                "'2026-11-30 00:00:00')"
            ),
            {"n": CARD[0], "p": CARD[2]},
        )
    upgrade(app)
    with get_db(app).read() as s:
        row = s.scalars(select(CheckIn)).one()
        card = s.scalars(select(PersonalCard)).one()
        assert (row.name, row.phone) == (PEOPLE[0][0], PEOPLE[0][2])
        secret = app.config["SECRET_KEY"]
        assert row.name_hash == people.name_hash(secret, PEOPLE[0][0])
        assert s.scalars(select(Feedback.message)).one() == MESSAGE
        assert (card.name, card.phone) == (CARD[0], CARD[2])
        assert len(card.phone_hash) == 64
    engine.dispose()
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    for word in (PEOPLE[0][0], fold(PEOPLE[0][0]), PEOPLE[0][2], CARD[0], MESSAGE):
        assert word.encode() not in data, word

    command.downgrade(alembic_config(app), "0210_checkin_submission")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT name, name_fold, phone FROM checkins")).one()
    engine.dispose()
    assert tuple(back) == (PEOPLE[0][0], fold(PEOPLE[0][0]), PEOPLE[0][2])
    os.remove(path)
