"""SQLite done right for several workers: pragmas, IMMEDIATE writes, no shared pools."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from signage.accounts.models import Role
from signage.db import get_db, make_engine, sqlite_version

from ..helpers import login, post_form

pytestmark = pytest.mark.sqlite_only


def test_driver_ships_a_sqlite_without_the_wal_bug():
    assert sqlite_version() >= (3, 51, 3)


def test_connection_pragmas(app):
    with get_db(app).engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000


def _counter_engine(path: Path, immediate: bool):
    engine = make_engine(f"sqlite:///{path}", busy_timeout_ms=10_000)
    return engine.execution_options(sqlite_immediate=immediate)


def _hammer(path: Path, immediate: bool, rounds: int = 40) -> list[BaseException]:
    """Several threads, each with its own connection, read a counter and write it
    back: the read-then-write shape of most real transactions."""
    setup = make_engine(f"sqlite:///{path}")
    with setup.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS c (n INTEGER)"))
        conn.execute(text("DELETE FROM c"))
        conn.execute(text("INSERT INTO c VALUES (0)"))
    setup.dispose()
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        engine = _counter_engine(path, immediate)
        barrier.wait()
        try:
            for _ in range(rounds):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM c")).scalar_one()
                    conn.execute(text("UPDATE c SET n = :n"), {"n": n + 1})
        except OperationalError as e:
            errors.append(e)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_immediate_write_transactions_never_see_database_is_locked(tmp_path):
    assert _hammer(tmp_path / "w.db", immediate=True) == []
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM c")).scalar_one() == 4 * 40
    engine.dispose()


def test_deferred_read_then_write_fails_under_contention(tmp_path):
    """The failure the IMMEDIATE policy exists for: proves the test above can fail."""
    errors = _hammer(tmp_path / "d.db", immediate=False, rounds=200)
    assert errors and all("locked" in str(e) for e in errors)


def test_requests_that_write_begin_immediate(app, client, make_user):
    user = make_user(role=Role.ADMIN)
    seen: list[str] = []
    engine = get_db(app).engine

    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def record(conn, cursor, statement, *args):  # noqa: ARG001
        seen.append(statement)

    client.get("/healthz")
    assert not seen  # one SELECT on the bare driver connection: no transaction
    login(client, user)  # reads first (argon2): deferred until it writes
    assert "BEGIN IMMEDIATE" not in seen
    seen.clear()
    assert post_form(client, "/logout", {}, "/admin/orgs").status_code == 302
    assert "BEGIN IMMEDIATE" in seen
    login(client, user)
    seen.clear()
    client.get("/")  # a read: the logged-in user's row
    assert "BEGIN" in seen and "BEGIN IMMEDIATE" not in seen


def _gunicorn_conf():
    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_post_fork_drops_the_inherited_pool(app):
    engine = get_db(app).engine
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    assert engine.pool.checkedin() == 1
    _gunicorn_conf().post_fork(None, SimpleNamespace(wsgi=app))
    assert get_db(app).engine.pool.checkedin() == 0


def test_several_workers_on_an_old_sqlite_are_refused(monkeypatch):
    conf = _gunicorn_conf()
    monkeypatch.setattr("signage.db.sqlite_version", lambda: (3, 40, 1))
    monkeypatch.delenv("SIGNAGE_DATABASE_URL", raising=False)
    monkeypatch.setenv(
        "SIGNAGE_ENV", "testing"
    )  # settings that start (see on_starting)
    conf.workers = 4
    with pytest.raises(RuntimeError, match="3.51.3"):
        conf.on_starting(None)
    conf.workers = 1
    conf.on_starting(None)
