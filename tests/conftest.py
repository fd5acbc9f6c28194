"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when
SIGNAGE_TEST_DATABASE_URL is set), the app, clients and factories."""

from __future__ import annotations

import gc
import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from signage import create_app
from signage.accounts import services as accounts
from signage.accounts.models import Organisation, OrgKind, Role, User
from signage.core.cli import upgrade
from signage.db import get_db
from signage.models import metadata
from signage.venues import services as venues
from signage.venues.models import Venue

from .helpers import DATA_KEY, PASSWORD
from .mailserver import SmtpServer


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Keep the interpreter's last garbage collections from walking the suite's
    objects: after a whole PostgreSQL run on a loaded machine (1.8 GB resident)
    they held the process for five minutes after the summary line. Everything
    is reported by now, and the operating system frees the memory at exit."""
    gc.freeze()


PG_URL = os.environ.get("SIGNAGE_TEST_DATABASE_URL", "")
# Under pytest-xdist (make test runs -n 2) each worker has its own PostgreSQL database,
# named after the configured one: signage_test_gw0, signage_test_gw1...
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _worker_pg_url(url: str) -> str:
    """The database this process tests on: the configured one, or under xdist a
    database of the worker's own on the same server, made empty at session start."""
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{WORKER}"
    server = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def base_config(tmp_path: Path, url: str) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "SECRET_KEY": "test-secret-key-of-sufficient-length-0123456789",
        "DATA_KEY": DATA_KEY,
        "PUBLIC_BASE_URL": "https://qr.example.vn",
        "DATABASE_URL": url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        # Jobs run at once in the request (Huey's immediate mode); tests about the
        # queue itself turn it off and run a real consumer.
        "JOBS_IMMEDIATE": True,
    }


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run the real migrations once: into a template SQLite file copied per test, or
    into the PostgreSQL test database (emptied per test)."""
    if PG_URL:
        url = _worker_pg_url(PG_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        app = create_app(base_config(tmp_path_factory.mktemp("pg"), url))
        upgrade(app)
        get_db(app).engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app(base_config(path.parent, f"sqlite:///{path}"))
    upgrade(app)
    get_db(app).engine.dispose()
    return str(path)


# Children before parents, then every id sequence back to 1, as in a fresh database.
# DELETE, not TRUNCATE: most tests leave most tables empty, and TRUNCATE makes new
# files for all 40 tables each time (about 80 ms a test against 20 ms, measured on
# the shared server under load).
_EMPTY_PG = "; ".join(
    [f'DELETE FROM "{t.name}"' for t in reversed(metadata.sorted_tables)]
    + [
        "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'"
    ]
)


def _empty_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(_EMPTY_PG))
    engine.dispose()


@pytest.fixture
def db_url(migrated_template: str, tmp_path: Path) -> str:
    if PG_URL:
        _empty_pg(migrated_template)
        return migrated_template
    target = tmp_path / "test.db"
    shutil.copyfile(migrated_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1: a test that uses it gets an app
    whose SMTP_URL points at it. ``.messages`` holds what it received;
    ``.links_to(address)`` the links of the last mail to an address (see
    tests/mailserver.py for ``links``/``link_path``)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app(
    request: pytest.FixtureRequest,
    db_url: str,
    tmp_path: Path,
    config_overrides: dict[str, Any],
) -> Iterator[Flask]:
    cfg = base_config(tmp_path, db_url)
    if "smtp_server" in request.fixturenames:
        cfg["SMTP_URL"] = request.getfixturevalue("smtp_server").url
    cfg.update(config_overrides)
    app = create_app(cfg)
    app.instance_path = str(tmp_path / "instance")
    yield app
    get_db(app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """The test's own Session, in autocommit mode: every statement is its own
    transaction, so the test never holds a lock or an old snapshot while it drives
    the app (which opens its own sessions per request)."""
    engine = get_db(app).engine
    bind = engine.execution_options(
        sqlite_autocommit=True,
        **(
            {} if engine.dialect.name == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        ),
    )
    s = Session(bind=bind, expire_on_commit=False)
    yield s
    s.close()


_seq = itertools.count(1)


@pytest.fixture
def make_org(session: Session, app: Flask) -> Callable[..., Organisation]:
    def make(**kw: Any) -> Organisation:
        n = next(_seq)
        data = accounts.OrgData(
            name=kw.pop("name", f"Tổ chức {n}"),
            kind=kw.pop("kind", OrgKind.BUSINESS),
            province_code=kw.pop("province_code", 46),
            ward_code=kw.pop("ward_code", 19786),
            address=kw.pop("address", f"{n} Lê Lợi"),
        )
        org = accounts.create_org(session, data)
        session.commit()
        return org

    return make


@pytest.fixture
def make_venue(
    session: Session, make_org: Callable[..., Organisation]
) -> Callable[..., Venue]:
    def make(org: Organisation | None = None, **kw: Any) -> Venue:
        org = org or make_org()
        data = venues.VenueData(
            name=kw.pop("name", f"Địa điểm {next(_seq)}"),
            address=kw.pop("address", "1 Lê Lợi"),
            ward_code=kw.pop("ward_code", 19786),
            **kw,
        )
        venue = venues.create_venue(session, org, data)
        session.commit()
        return venue

    return make


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    def make(
        role: Role = Role.MANAGER, org: Organisation | None = None, **kw: Any
    ) -> User:
        user = accounts.create_user(
            session,
            email=kw.pop("email", f"user{next(_seq)}@example.vn"),
            password=kw.pop("password", PASSWORD),
            role=role,
            organisation_id=org.id if org else None,
            policy=accounts.HashPolicy(1, 1024),
            **kw,
        )
        session.commit()
        return user

    return make
