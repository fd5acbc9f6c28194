"""Deletion that deletes: after the purge, purged names, phones and feedback are not
in the SQLite database file nor in its WAL (secure_delete, a TRUNCATE checkpoint);
on PostgreSQL the purged tables are vacuumed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from signage import db
from signage.text import fold

from ..helpers import csrf_token

PURGED = [
    ("Quách Thị Sentinelone", "0987 111 201", "Góp ý SENTINELFBONE về bãi xe"),
    ("Lò Văn Sentineltwo", "0987 111 202", "Nhà vệ sinh SENTINELFBTWO hết xà phòng"),
]
KEPT = ("Hà Thị Sentinelkept", "0987 111 299")


def _forms(name: str, phone: str) -> list[bytes]:
    digits = phone.replace(" ", "")
    return [
        name.encode(),
        fold(name).encode(),
        ("+84" + digits[1:]).encode(),
        digits[1:].encode(),  # the number in any writing
    ]


def _files(db_url: str) -> dict[str, bytes]:
    path = Path(db_url.removeprefix("sqlite:///"))
    found = {}
    for f in (path, Path(f"{path}-wal")):
        found[f.name] = f.read_bytes() if f.exists() else b""
    return found


def _seen(files: dict[str, bytes], needle: bytes) -> list[str]:
    return [name for name, data in files.items() if needle in data]


def _check_in(client, check_in, venue, name, phone, feedback=None):
    resp = check_in(client, venue, name=name, phone=phone)
    assert resp.status_code == 303, resp.status_code
    ok = resp.headers["Location"]
    if feedback:
        csrf = csrf_token(client, ok)
        sent = client.post(
            f"{ok}/feedback",
            data={"csrf_token": csrf, "category": "service", "message": feedback},
        )
        assert sent.status_code == 303, sent.status_code


@pytest.mark.sqlite_only
def test_purged_rows_are_not_in_the_database_or_wal_files(
    app, client, session, db_url, make_venue, check_in
):
    venue = make_venue()
    for name, phone, feedback in PURGED:
        _check_in(app.test_client(), check_in, venue, name, phone, feedback)
    _check_in(app.test_client(), check_in, venue, *KEPT)
    holder = app.test_client()
    card = holder.post(
        "/the",
        data={
            "csrf_token": csrf_token(holder, "/the"),
            "name": "Mạc Văn Sentinelcard",
            "phone": "0987 111 203",
            "consent": "y",
        },
    )
    assert card.status_code in (200, 303), card.status_code

    before = _files(db_url)
    for name, phone, feedback in PURGED:
        for needle in _forms(name, phone) + [feedback.split()[2].encode()]:
            assert _seen(before, needle), needle  # the scan finds what is there
    assert _seen(before, "Mạc Văn Sentinelcard".encode())

    old = db.utcnow() - timedelta(days=40)
    session.execute(
        text("UPDATE checkins SET checked_in_at = :t WHERE name <> :kept"),
        {"t": old.replace(tzinfo=None), "kept": KEPT[0]},
    )
    session.execute(
        text("UPDATE checkin_feedback SET created_at = :t"),
        {"t": old.replace(tzinfo=None)},
    )
    session.execute(
        text("UPDATE personal_cards SET last_used_at = :t"),
        {"t": (db.utcnow() - timedelta(days=400)).replace(tzinfo=None)},
    )
    runner = app.test_cli_runner()
    out = runner.invoke(args=["checkins", "purge"])
    assert "purged 2 check-ins and 2 feedback" in out.output, out.output
    out = runner.invoke(args=["cards", "purge"])
    assert "purged 1 personal cards" in out.output, out.output

    after = _files(db_url)
    assert after[Path(db_url).name + "-wal"] == b""  # truncated
    for name, phone, feedback in PURGED:
        for needle in _forms(name, phone) + [feedback.split()[2].encode()]:
            assert _seen(after, needle) == [], needle
    assert _seen(after, "Mạc Văn Sentinelcard".encode()) == []
    assert _seen(after, b"987111203") == []
    # What was not purged is still there: the scan would see it.
    assert _seen(after, KEPT[0].encode())


def test_purge_vacuums_the_purged_tables_on_postgresql(app, session, make_venue):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL: VACUUM; SQLite is scanned above")
    stamp = session.scalar(text("SELECT now()"))
    out = app.test_cli_runner().invoke(args=["checkins", "purge"])
    assert out.exit_code == 0, out.output
    vacuumed = dict(
        session.execute(
            text(
                "SELECT relname, last_vacuum FROM pg_stat_user_tables "
                "WHERE relname IN ('checkins', 'checkin_feedback')"
            )
        ).all()
    )
    assert set(vacuumed) == {"checkins", "checkin_feedback"}
    assert all(at is not None and at >= stamp for at in vacuumed.values()), vacuumed
