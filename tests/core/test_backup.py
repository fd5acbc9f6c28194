"""`flask backup`: a consistent copy of the SQLite database while check-ins arrive,
and the README's restore steps: restore, start, the same counts."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from signage import create_app
from signage.checkin import services as checkins
from signage.checkin.models import CheckIn
from signage.core.cli import upgrade
from signage.db import autocommit, get_db
from tests.conftest import base_config

pytestmark = pytest.mark.sqlite_only


def _count(path: Path) -> tuple[str, int, int]:
    with sqlite3.connect(path) as conn:
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0]
        rows = conn.execute("SELECT count(*) FROM checkins").fetchone()[0]
        venues = conn.execute("SELECT count(*) FROM venues").fetchone()[0]
    return ok, rows, venues


def test_backup_is_consistent_while_checkins_arrive_and_restores(
    app, session, make_venue, tmp_path, monkeypatch
):
    venue = make_venue()
    stop = threading.Event()
    written: list[int] = []

    def arrive() -> None:  # a steady stream of check-ins, as the POST writes them
        n = 0
        with app.app_context(), autocommit() as conn:
            while not stop.is_set():
                checkins.check_in(
                    conn,
                    venue,
                    checkins.Visitor("Nguyễn Văn A", f"+849{n:08d}"),
                    submission_id=checkins.new_submission_id(),
                    secret="x",
                )
                n += 1
        written.append(n)

    for n in range(300):  # some history first
        checkins.check_in(
            session,
            venue,
            checkins.Visitor("Trần Thị B", f"+848{n:08d}"),
            submission_id=checkins.new_submission_id(),
            secret="x",
        )
    writer = threading.Thread(target=arrive)
    writer.start()
    try:
        out = tmp_path / "backups" / "signage-backup.db"
        result = app.test_cli_runner().invoke(args=["backup", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "backed up" in result.output
    finally:
        stop.set()
        writer.join()
    ok, in_backup, venues = _count(out)
    total = session.scalar(select(func.count(CheckIn.id)))
    assert ok == "ok"
    assert 300 <= in_backup <= total and venues == 1
    assert written and written[0] > 0  # check-ins really arrived meanwhile
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: owner only
    assert not list(out.parent.glob("*.tmp"))

    # The README's restore: copy the file in as instance/signage.db (no -wal or
    # -shm beside it), `flask db upgrade`, start; the same counts.
    instance = tmp_path / "restored"
    instance.mkdir()
    shutil.copyfile(out, instance / "signage.db")
    cfg = base_config(instance, "")
    cfg.pop("DATABASE_URL")  # the default: instance/signage.db
    monkeypatch.setenv("SIGNAGE_INSTANCE_PATH", str(instance))
    restored = create_app(cfg)
    assert get_db(restored).engine.url.database == str(instance / "signage.db")
    try:
        upgrade(restored)
        with restored.app_context():
            s = get_db(restored).read()
            assert s.scalar(select(func.count(CheckIn.id))) == in_backup
            s.close()
        client = restored.test_client()
        assert client.get("/healthz").status_code == 200
        assert client.get(f"/C/{venue.token}").status_code == 200
    finally:
        get_db(restored).engine.dispose()


def test_backup_on_postgresql_points_to_pg_dump(app, tmp_path):
    if get_db(app).engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL only")
    result = app.test_cli_runner().invoke(args=["backup", "-o", str(tmp_path / "x")])
    assert result.exit_code != 0 and "pg_dump" in result.output
