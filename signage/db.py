"""Database plumbing: declarative base, UTC timestamps, one engine per app.

The engine and sessionmaker live in ``app.extensions`` (never module globals) so two
apps in one process (tests) never share connections. A Session is opened lazily per app
context and always rolled back and closed on teardown.

There is one transaction boundary for requests, :func:`request_transaction` (the app
class in ``signage/__init__.py`` runs every view through it): views and services never
commit. CLI commands are their own boundary and commit at their end.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from flask import Flask, Response, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    MetaData,
    String,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

from .extensions import this_app, this_g

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
    health: BareQuery  # SELECT 1, the health check's (:func:`ping`)


def sqlite_version() -> tuple[int, ...]:
    return tuple(int(p) for p in sqlite_driver.sqlite_version.split("."))


SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 15_000,
    synchronous: str = "FULL",
    autocommit_only: bool = False,
) -> Engine:
    """Create (but do not connect) an engine; SQLite gets its pragmas and BEGIN.

    Bound parameters never appear in log lines or exception messages
    (``hide_parameters``): a failed INSERT would otherwise write a resident's data
    into error logs that no purge reaches.

    Durability: an acknowledged write survives a power cut. PostgreSQL flushes its
    WAL before COMMIT returns with ``synchronous_commit=on``, which every connection
    sets for itself. SQLite in WAL
    mode does so only with ``synchronous=FULL`` (the default here): with NORMAL a
    commit is written to the WAL but not flushed, and the last transactions before
    a power cut roll back (the file stays consistent; a resident's acknowledged
    check-in is gone). ``SQLITE_SYNCHRONOUS`` can trade this back for speed;
    bench/checkin.py prints the check-in POST's cost of FULL. Either way the disk
    must honour flushes (no volatile write cache that lies).

    ``autocommit_only`` (SQLite): an engine whose connections only ever run
    statements that commit on their own (checkin/gate.py) has no transaction to end
    when a connection goes back to the pool, so the pool does not roll back there
    (SQLAlchemy's ``pool_reset_on_return=None``, meant for this): about 1 % of the
    scan page (bench/instructions.py).
    """
    if url.startswith(("postgresql://", "postgres://")):
        # The driver we ship is psycopg 3, not SQLAlchemy's default psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=10,
            hide_parameters=True,
            # The server's default may have been turned off for bulk loads; this
            # application acknowledges check-ins, so its own sessions always wait
            # for the flush whatever postgresql.conf says.
            connect_args={"options": "-c synchronous_commit=on"},
        )
    synchronous = synchronous.upper()
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {SYNCHRONOUS}")

    engine = create_engine(
        url,
        module=sqlite_driver,
        hide_parameters=True,
        pool_reset_on_return=None if autocommit_only else "rollback",
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        # Deleted rows are overwritten with zeros, not left in the free space of
        # their pages: a purged name or phone is not in the file (signage/erase.py
        # truncates the WAL, the other copy).
        cur.execute("PRAGMA secure_delete=ON")
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
    from . import crypto

    engine = make_engine(
        database_url(app),
        busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        synchronous=str(app.config["SQLITE_SYNCHRONOUS"]),
    )
    crypto.attach(engine, app)
    write_bind = engine.execution_options(sqlite_immediate=True)
    db = Database(
        engine=engine,
        read=sessionmaker(bind=engine, expire_on_commit=False),
        write=sessionmaker(bind=write_bind, expire_on_commit=False),
        health=BareQuery(text("SELECT 1"), engine),
    )
    for maker in (db.read, db.write):
        event.listen(maker, "after_flush", _mark_flushed)
        event.listen(maker, "after_transaction_end", _clear_flushed)
    app.extensions[EXT_KEY] = db
    app.teardown_appcontext(_close_session)


def _mark_flushed(session: Session, _context: Any) -> None:
    session.info["flushed"] = True  # end_read() refuses to commit real work


def _clear_flushed(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop("flushed", None)


def get_db(app: Flask) -> Database:
    return app.extensions[EXT_KEY]


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(view: F) -> F:
    """Mark a GET view that writes (a download log), so its session begins IMMEDIATE."""
    view._signage_writes = True  # type: ignore[attr-defined]  # read by _request_writes
    return view


def reads_first(view: F) -> F:
    """Mark a POST view that reads for a long time before it writes (a login checks
    an argon2 hash): its Session begins deferred, so SQLite's write lock is not held
    while it reads; the view calls :func:`end_read` before its write."""
    view._signage_writes = False  # type: ignore[attr-defined]  # read by _request_writes
    return view


def _request_writes() -> bool:
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint or "")
    marked: bool | None = getattr(view, "_signage_writes", None)
    if marked is not None:
        return marked
    return request.method not in _SAFE_METHODS


def session(*, write: bool | None = None) -> Session:
    """The Session of the current app context, opened on first use.

    Inside a request it begins IMMEDIATE on SQLite for unsafe methods and for views
    marked with :func:`writes`, unless marked :func:`reads_first`; outside a request
    (CLI) it always does.
    """
    from flask import current_app, has_request_context

    existing: Session | None = g.get("_signage_session")
    if existing is not None:
        return existing
    if write is None:
        write = _request_writes() if has_request_context() else True
    db = get_db(current_app)
    s = (db.write if write else db.read)()
    s.info["immediate"] = write
    g._signage_session = s
    return s


def _close_session(_exc: BaseException | None) -> None:
    s: Session | None = this_g().pop("_signage_session", None)
    if s is not None:
        s.rollback()
        s.close()


def end_read() -> None:
    """End the request Session's read snapshot, writing nothing.

    On SQLite a transaction that has read sees the database as it was then, and its
    first write fails (SQLITE_BUSY_SNAPSHOT) if another writer committed since. A GET
    that reads for a long time (a batch render) or writes only now and then (a
    heartbeat) ends its read here first; the write then begins a fresh transaction,
    which the boundary commits. Raises if the Session holds unsaved changes: this is
    not a way to commit.
    """
    s: Session | None = g.get("_signage_session")
    if s is None or not s.in_transaction():
        return
    if s.new or s.dirty or s.deleted or s.info.get("flushed"):
        raise RuntimeError("end_read() after a write: let the boundary commit")
    s.commit()


# How many times a view runs when its transaction loses a race (Warehouse retries a
# request three times the same way).
ATTEMPTS = 3
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})  # serialization failure, deadlock


def retryable(error: DBAPIError, *, snapshot: bool = False) -> bool:
    """A transaction that lost a race and would succeed if run again from the start:
    a unique key taken meanwhile (IntegrityError), a PostgreSQL serialization failure
    or deadlock, or, when ``snapshot`` (a deferred SQLite transaction that has read),
    SQLite refusing its first write because another writer committed since its read
    began. The SQLite driver reports that as plain SQLITE_BUSY (it does not turn on
    extended codes), and it comes at once; a busy timeout in a transaction that began
    IMMEDIATE is overload, not a race, and is not retried."""
    if isinstance(error, IntegrityError):
        return True
    orig = error.orig
    if getattr(orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name == "SQLITE_BUSY_SNAPSHOT" or (snapshot and name == "SQLITE_BUSY")


def request_transaction(
    app: Flask, view: Callable[[], ResponseReturnValue]
) -> Response:
    """Run ``view`` as one transaction: the request's Session (if it opened one) is
    committed when the response is a success or a redirect (status < 400) and rolled
    back otherwise, so a refused form or an error page never leaves half its work.

    The commit happens before the response leaves the server: an audited page or
    export is only sent once its audit row is stored. A transaction that lost a race
    (:func:`retryable`) is rolled back and the view runs again from the start, with
    uploaded files rewound, up to :data:`ATTEMPTS` times; any other exception rolls
    back and propagates to the error handlers.
    """
    attempt = 1
    while True:
        try:
            response = app.make_response(view())
            s: Session | None = this_g().get("_signage_session")
            if s is not None and s.in_transaction():
                if response.status_code < 400:
                    s.commit()
                else:
                    s.rollback()
            return response
        except DBAPIError as e:
            s = _rollback()
            snapshot = s is not None and not s.info.get("immediate")
            if attempt >= ATTEMPTS or not retryable(e, snapshot=snapshot):
                raise
            attempt += 1
            for upload in request.files.values():
                upload.stream.seek(0)
        except BaseException:
            _rollback()
            raise


def _rollback() -> Session | None:
    """Roll the request's Session back but keep it open: the error page still shows
    who is logged in (their row reloads on a fresh transaction)."""
    s: Session | None = g.get("_signage_session")
    if s is not None:
        s.rollback()
    return s


@contextmanager
def autocommit(engine: Engine | None = None) -> Iterator[Connection]:
    """A pooled connection of ``engine`` (default: the current app's) on which every
    statement commits on its own: for work that is one statement, with no Session,
    no BEGIN and no COMMIT around it (the public pages, the health check)."""
    if engine is None:
        engine = get_db(this_app()).engine
    if engine.dialect.name == "sqlite":
        options: dict[str, object] = {"sqlite_autocommit": True}
    else:
        options = {"isolation_level": "AUTOCOMMIT"}
    with engine.connect().execution_options(**options) as conn:
        yield conn


class BareQuery:
    """A SELECT compiled once for an engine and run on a bare DBAPI cursor, for the
    hottest reads of the public path.

    SQLAlchemy's Connection and execution context cost several times such a query:
    measured in-process on SQLite (load ~11, 5000 calls), the scan page's venue
    look-up took 137-188 us through a Core Connection and 19-20 us this way. Rows
    come back as the driver gives them (no result processing: SQLite's booleans are
    0/1), so it is only for plain columns, never Encrypted or UTC ones. Driver errors
    are raised as SQLAlchemy's (``OperationalError``...), with parameters hidden, so
    callers handle them as any other statement's; a connection the server dropped
    is invalidated, never handed out again.

    On an SQLite file each thread keeps one connection for the query
    (:class:`_KeptConnection`); elsewhere (PostgreSQL, an in-memory database) each
    call checks one out of the engine's pool. Tested in tests/db/test_bare.py.
    """

    def __init__(self, statement: Any, engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql: str = compiled.string
        self._names: list[str] | None = (
            list(compiled.positiontup) if compiled.positiontup else None
        )
        self._engine = engine
        self._kept = (
            _KeptConnection(engine)
            if engine.dialect.name == "sqlite"
            and engine.url.database not in (None, "", ":memory:")
            else None
        )

    def first(self, **values: Any) -> tuple[Any, ...] | None:
        """The first row for these bound values, or None."""
        params: Any = tuple(values[n] for n in self._names) if self._names else values
        if self._kept is not None:
            row = self._kept.first(self.sql, params)
        else:
            row = _pooled_first(self._engine, self.sql, params)
        return tuple(row) if row is not None else None


def _driver_error(
    engine: Engine, sql: str, params: Any, error: Exception, gone: bool
) -> StatementError:
    """A driver's error as SQLAlchemy raises it (a DBAPIError: OperationalError...),
    with the parameters hidden."""
    return DBAPIError.instance(
        sql,
        params,
        error,
        engine.dialect.loaded_dbapi.Error,
        hide_parameters=True,
        dialect=engine.dialect,
        connection_invalidated=gone,
    )


def _one_row(conn: Any, sql: str, params: Any) -> Any:
    cursor = conn.cursor()
    cursor.execute(sql, params)
    row = cursor.fetchone()
    cursor.close()
    return row


def _pooled_first(engine: Engine, sql: str, params: Any) -> Any:
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        # Connecting can fail too (a PostgreSQL restarting): raw_connection() raises
        # the driver's error, unlike a Connection.
        conn = engine.raw_connection()
    except dbapi_error as e:
        raise _driver_error(engine, sql, params, e, False) from e
    try:
        row = _one_row(conn, sql, params)
        # End the read's transaction (PostgreSQL's driver begins one) here rather
        # than in the pool's reset on checkin, where the same round trip would find
        # a server that went away meanwhile and log a traceback; here it is this
        # call's error (invalidated below), and the reset has nothing left to do.
        conn.rollback()
    except dbapi_error as e:
        gone = engine.dialect.is_disconnect(e, conn.dbapi_connection, None)
        if gone:
            # Returned as it is, the pool would roll the dead connection back
            # (logging the failure) and hand it out again.
            conn.invalidate(e)
        raise _driver_error(engine, sql, params, e, gone) from e
    finally:
        conn.close()  # back to the pool
    return row


# How many forks lie between the first process and this one: a kept connection
# made under another count belongs to a parent process. Counted at each fork rather
# than asking os.getpid() (a system call) on every read.
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_child=_count_fork)


class _KeptConnection:
    """One SQLite connection per thread (and per process) for :class:`BareQuery`,
    made by the engine's pool (so with the engine's pragmas) and then detached from
    it (``_ConnectionFairy.detach``).

    Why not the pool: a pool of file connections hands a sync worker's one thread
    the same connection on every request anyway, and its checkout and checkin around
    one SELECT cost 58,000 of the scan page's 795,000 instructions (callgrind,
    bench/instructions.py; timeit: 9.7 us for ``raw_connection()`` and ``close()``
    against 1.6 us for the query itself). SQLAlchemy's own answer,
    ``SingletonThreadPool``, saved 8,000 of them, and its documentation keeps it
    for tests. What the pool does that matters here is done below: a connection
    is never used in another process (a fork makes a new one; the old one is
    dropped, not closed, as ``Engine.dispose(close=False)`` does), nor in another
    thread (``threading.local``), and one that SQLite reports closed is replaced.
    Each SELECT runs in autocommit (the engine's connect hook), so a kept
    connection holds no snapshot between requests and blocks no checkpoint.
    Tested in tests/db/test_bare.py.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()

    def first(self, sql: str, params: Any) -> Any:
        local = self._local
        conn: Any = getattr(local, "conn", None)
        if conn is None or local.forks != _forks:
            try:
                fairy = self._engine.raw_connection()
            except self._engine.dialect.loaded_dbapi.Error as e:
                raise _driver_error(self._engine, sql, params, e, False) from e
            fairy.detach()
            conn = local.conn = fairy.dbapi_connection
            local.forks = _forks
        try:
            row = _one_row(conn, sql, params)
        except self._engine.dialect.loaded_dbapi.Error as e:
            gone = self._engine.dialect.is_disconnect(e, conn, None)
            if gone:
                local.conn = None
                with suppress(Exception):
                    conn.close()
            raise _driver_error(self._engine, sql, params, e, gone) from e
        return row


def ping(app: Flask | None = None) -> None:
    """Run ``SELECT 1`` on a bare connection of the app's engine (default: the
    current app's), as :class:`BareQuery` does; raises if the database does not
    answer. The health check's whole database work: SQLAlchemy's Connection and
    execution context cost about eight times the query itself (measured in-process:
    73 us against 9 us on SQLite)."""
    get_db(app or this_app()).health.first()
