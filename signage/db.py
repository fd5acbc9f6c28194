"""Database plumbing: declarative base, UTC timestamps, one engine per app.

The engine and sessionmaker live in ``app.extensions`` (never module globals) so two
apps in one process (tests) never share connections. A Session is opened lazily per app
context and always rolled back and closed on teardown; views commit explicitly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from flask import Flask, g, request
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

try:  # A current SQLite (3.53) in a wheel; Debian 12's 3.40 has a WAL corruption bug.
    import pysqlite3.dbapi2 as sqlite_driver
except ImportError:  # pragma: no cover - only on machines without the wheel
    sqlite_driver = sqlite3

EXT_KEY = "signage.db"
F = TypeVar("F", bound=Callable[..., Any])

# Fixed constraint names so Alembic can drop and alter them on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (tzinfo=UTC).

    SQLite has no time zone type, so values are stored as naive UTC there; a naive
    value passed in is a programming error and raises.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


str20 = Annotated[str, 20]
str64 = Annotated[str, 64]
str120 = Annotated[str, 120]
str255 = Annotated[str, 255]
intpk = Annotated[int, mapped_column(primary_key=True)]
created_ts = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime,
        str20: String(20),
        str64: String(64),
        str120: String(120),
        str255: String(255),
    }


@dataclass
class Database:
    engine: Engine
    read: sessionmaker[Session]
    write: sessionmaker[Session]


def sqlite_version() -> tuple[int, ...]:
    return tuple(int(p) for p in sqlite_driver.sqlite_version.split("."))


def make_engine(url: str, *, busy_timeout_ms: int = 15_000) -> Engine:
    """Create (but do not connect) an engine; SQLite gets its pragmas and BEGIN."""
    if url.startswith(("postgresql://", "postgres://")):
        # The driver we ship is psycopg 3, not SQLAlchemy's default psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)

    engine = create_engine(url, module=sqlite_driver)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Each worker's page cache is dropped whenever another process writes, so
        # pages are re-read often: from a memory map that is a copy, not a syscall.
        cur.execute("PRAGMA mmap_size=268435456")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Under WAL a deferred transaction that reads and then writes fails at once
        # with SQLITE_BUSY when another writer committed in between, whatever the
        # busy timeout; IMMEDIATE takes the write lock up front and waits politely.
        options = conn.get_execution_options()
        if options.get("sqlite_autocommit"):
            return  # test fixtures: every statement commits on its own
        immediate = options.get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def database_url(app: Flask) -> str:
    url = app.config.get("DATABASE_URL") or ""
    if url:
        return url
    path = Path(app.instance_path) / "signage.db"
    return f"sqlite:///{path}"


def init_app(app: Flask) -> None:
    engine = make_engine(
        database_url(app), busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    write_bind = engine.execution_options(sqlite_immediate=True)
    app.extensions[EXT_KEY] = Database(
        engine=engine,
        read=sessionmaker(bind=engine, expire_on_commit=False),
        write=sessionmaker(bind=write_bind, expire_on_commit=False),
    )
    app.teardown_appcontext(_close_session)


def get_db(app: Flask) -> Database:
    return app.extensions[EXT_KEY]


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(view: F) -> F:
    """Mark a GET view that writes (a download log), so its session begins IMMEDIATE."""
    view._signage_writes = True  # type: ignore[attr-defined]
    return view


def _request_writes() -> bool:
    from flask import current_app

    if request.method not in _SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "_signage_writes", False))


def session(*, write: bool | None = None) -> Session:
    """The Session of the current app context, opened on first use.

    Inside a request it begins IMMEDIATE on SQLite for unsafe methods and for views
    marked with :func:`writes`; outside a request (CLI) it always does.
    """
    from flask import current_app, has_request_context

    existing: Session | None = g.get("_signage_session")
    if existing is not None:
        return existing
    if write is None:
        write = _request_writes() if has_request_context() else True
    db = get_db(current_app)
    s = (db.write if write else db.read)()
    g._signage_session = s
    return s


def _close_session(_exc: BaseException | None) -> None:
    s: Session | None = g.pop("_signage_session", None)
    if s is not None:
        s.rollback()
        s.close()


@contextmanager
def autocommit(engine: Engine | None = None) -> Iterator[Connection]:
    """A pooled connection of ``engine`` (default: the current app's) on which every
    statement commits on its own: for work that is one statement, with no Session,
    no BEGIN and no COMMIT around it (the public pages, the health check)."""
    if engine is None:
        from flask import current_app

        engine = get_db(current_app).engine
    if engine.dialect.name == "sqlite":
        options: dict[str, object] = {"sqlite_autocommit": True}
    else:
        options = {"isolation_level": "AUTOCOMMIT"}
    with engine.connect().execution_options(**options) as conn:
        yield conn
