"""Deletion that deletes: after the purge, purged names, phones and feedback are not
in the SQLite database file nor in its WAL (secure_delete, a TRUNCATE checkpoint);
on PostgreSQL the purged tables are vacuumed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from signage import db
from signage.checkin.models import CheckIn
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

    # Names, phones and messages are stored encrypted (signage/crypto.py, whose own
    # test finds none of them in clear): the needles are the stored ciphertexts.
    raw = {
        r[0]: (bytes(r[1]), bytes(r[2]))
        for r in session.execute(text("SELECT id, name, phone FROM checkins"))
    }
    (kept_id,) = [c.id for c in session.scalars(select(CheckIn)) if c.name == KEPT[0]]
    stored = [b for i, pair in raw.items() if i != kept_id for b in pair]
    stored += [
        bytes(b) for b in session.scalars(text("SELECT message FROM checkin_feedback"))
    ]
    stored += [
        bytes(b) for b in session.scalars(text("SELECT name FROM personal_cards"))
    ]
    before = _files(db_url)
    for needle in stored:
        assert _seen(before, needle), needle  # the scan finds what is there

    old = db.utcnow() - timedelta(days=40)
    session.execute(
        text("UPDATE checkins SET checked_in_at = :t WHERE id <> :kept"),
        {"t": old.replace(tzinfo=None), "kept": kept_id},
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
    for needle in stored:
        assert _seen(after, needle) == [], needle
    # What was not purged is still there: the scan would see it.
    assert _seen(after, raw[kept_id][0])


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


# A resident deletes their own check-in -------------------------------------------


def test_only_the_browser_that_checked_in_can_delete_it(
    app, session, db_url, make_venue, check_in
):
    from sqlalchemy import func, select

    from signage.audit import AuditEvent
    from signage.checkin.models import CheckIn, Feedback

    venue = make_venue(name="Bưu điện Huế")
    phone = app.test_client()
    resp = check_in(phone, venue, name="Phan Thị Sentinelmine", phone="0987 111 401")
    ok = resp.headers["Location"]
    csrf = csrf_token(phone, ok)
    phone.post(
        f"{ok}/feedback",
        data={"csrf_token": csrf, "category": "other", "message": "Ghế SENTINELFB"},
    )
    assert "Xoá lượt khai báo này" in phone.get(ok).get_data(as_text=True)

    # Someone else holding the link sees no delete link and cannot delete.
    other = app.test_client()
    assert "Xoá lượt khai báo này" not in other.get(ok).get_data(as_text=True)
    assert other.get(f"{ok}/delete").status_code == 404
    stolen = other.post(f"{ok}/delete", data={"csrf_token": csrf_token(other, ok)})
    assert stolen.status_code == 404
    # Nor with a cookie forged for another check-in.
    other.set_cookie("ci_own", "0" * 32, path="/C")
    assert other.get(f"{ok}/delete").status_code == 404
    assert session.scalar(select(func.count(CheckIn.id))) == 1

    # The owner: a confirm step, then the deletion.
    page = phone.get(f"{ok}/delete")
    assert page.status_code == 200
    assert "Bưu điện Huế" in page.get_data(as_text=True)
    assert session.scalar(select(func.count(CheckIn.id))) == 1  # asked, not done
    done = phone.post(f"{ok}/delete", data={"csrf_token": csrf_token(phone, ok)})
    assert done.status_code == 200
    assert "Đã xoá lượt khai báo" in done.get_data(as_text=True)
    assert session.scalar(select(func.count(CheckIn.id))) == 0
    assert session.scalar(select(func.count(Feedback.id))) == 0
    assert phone.get(ok).status_code == 404
    if db_url.startswith("sqlite"):  # scrubbed from the files once committed
        for needle in (b"Sentinelmine", b"987111401", b"SENTINELFB"):
            assert _seen(_files(db_url), needle) == [], needle

    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "checkins.delete.visitor")
    ).all()
    assert event.target.startswith("checkin:") and event.user_id is None
    recorded = f"{event.target} {event.reason} {event.detail} {event.ip}"
    for personal in ("Sentinelmine", "987111401", "SENTINELFB", "127.0.0.1"):
        assert personal not in recorded
