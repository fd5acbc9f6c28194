"""Rewriting encrypted columns in batches: key rotation and the migrations that
encrypt existing rows.

:func:`rotate` walks every table with :class:`~signage.crypto.Encrypted` columns
(found in the models' metadata, so a new area's columns are included without a
line here) by primary key, a batch at a time: it reads the batch outside any write
transaction, re-encrypts the values not under the current key in Python, and then
writes them in one short transaction per batch, each UPDATE guarded by the old
ciphertext (a row the app changed meanwhile is left for the next run, never
overwritten). So SQLite's write lock is held only for the UPDATEs of one batch, and
check-ins go on while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    and_,
    bindparam,
    column,
    select,
    table,
    update,
)
from sqlalchemy.types import TypeEngine

from .crypto import Encrypted, KeyRing

BATCH = 500


def encrypted_columns(metadata: MetaData) -> dict[str, list[Column[Any]]]:
    """Table name -> its Encrypted columns, for every table that has any."""
    out: dict[str, list[Column[Any]]] = {}
    for t in metadata.sorted_tables:
        cols = [c for c in t.columns if isinstance(c.type, Encrypted)]
        if cols:
            out[t.name] = cols
    return out


Convert = Callable[[str, Any], Any]  # (column, stored value) -> new value or None


def read_batch(
    conn: Connection,
    name: str,
    columns: Sequence[str],
    *,
    after: Any,
    limit: int,
    types: TypeEngine[Any] | None = None,
    key_type: TypeEngine[Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` rows ``(id, *columns)`` with id > ``after`` (None: from the
    first), raw (as stored). ``key_type``: the id's type (Integer unless given: the
    jobs table's ids are text)."""
    key = column("id", key_type if key_type is not None else Integer())
    t = table(name, key, *(column(c, types) for c in columns))
    q = select(t.c.id, *(t.c[c] for c in columns))
    if after is not None:
        q = q.where(t.c.id > after)
    return [tuple(r) for r in conn.execute(q.order_by(t.c.id).limit(limit))]


Changes = dict[str, list[dict[str, Any]]]  # column -> [{_id, _old, _new}]


def changes(
    rows: list[tuple[Any, ...]], columns: Sequence[str], convert: Convert
) -> Changes:
    """``convert(column, value)`` for each value of ``rows`` (from
    :func:`read_batch`), keeping those that are not None: computed before the write
    transaction, so no encryption runs under the write lock."""
    out: Changes = {}
    for i, col in enumerate(columns, start=1):
        for row in rows:
            if row[i] is None:
                continue
            new = convert(col, row[i])
            if new is not None:
                out.setdefault(col, []).append(
                    {"_id": row[0], "_old": row[i], "_new": new}
                )
    return out


def write_batch(
    conn: Connection,
    name: str,
    planned: Changes,
    *,
    into: dict[str, str] | None = None,
    types: TypeEngine[Any] | None = None,
    key_type: TypeEngine[Any] | None = None,
) -> int:
    """Write the planned values: into ``into[column]`` when given (a migration
    filling a new column), else in place, guarded by the old value. Returns the
    number of values written."""
    written = 0
    for col, params in planned.items():
        target = into[col] if into else col
        key = column("id", key_type if key_type is not None else Integer())
        t = table(name, key, column(col, types), column(target))
        where = t.c.id == bindparam("_id")
        if not into:
            where = and_(where, t.c[col] == bindparam("_old", type_=types))
        stmt = (
            update(t)
            .where(where)
            .values({target: bindparam("_new", type_=LargeBinary())})
        )
        result = conn.execute(stmt, params)
        written += max(result.rowcount, 0) if not into else len(params)
    return written


def _to_current(
    ring: KeyRing, contexts: dict[str, bytes], col: str, blob: Any
) -> bytes | None:
    """A value re-encrypted under the current key, or None when it already is."""
    blob = bytes(blob)
    if ring.is_current(blob):
        return None
    return ring.encrypt(ring.decrypt(blob, contexts[col]), contexts[col])


@dataclass
class Rotated:
    table: str
    rows: int = 0
    values: int = 0
    batches: int = 0
    longest_write_ms: float = 0.0


def rotate(
    engine: Engine,
    ring: KeyRing,
    metadata: MetaData,
    *,
    batch: int = BATCH,
    progress: Callable[[Rotated], None] | None = None,
) -> Iterator[Rotated]:
    """Re-encrypt every value not under ``ring``'s current key; one transaction per
    batch (see the module docstring). Yields each table's totals when it is done."""
    write = engine.execution_options(sqlite_immediate=True)
    for name, cols in encrypted_columns(metadata).items():
        names = [c.name for c in cols]
        convert = partial(
            _to_current,
            ring,
            {c.name: cast(Encrypted, c.type).context.encode() for c in cols},
        )
        key_type = cols[0].table.c.id.type  # Integer, or text (jobs)
        done, after = Rotated(name), None
        while True:
            with engine.connect() as conn:  # a read: no write lock
                rows = read_batch(
                    conn,
                    name,
                    names,
                    after=after,
                    limit=batch,
                    types=LargeBinary(),
                    key_type=key_type,
                )
                conn.rollback()
            if not rows:
                break
            planned = changes(rows, names, convert)
            start = time.perf_counter()
            if planned:
                with write.begin() as conn:
                    done.values += write_batch(
                        conn, name, planned, types=LargeBinary(), key_type=key_type
                    )
            ms = (time.perf_counter() - start) * 1000
            done.longest_write_ms = max(done.longest_write_ms, ms)
            done.rows += len(rows)
            done.batches += 1
            after = rows[-1][0]
            if progress is not None:
                progress(done)
        yield done


# Migrations that encrypt a table's clear columns ------------------------------------

Derive = Callable[[dict[str, Any]], dict[str, Any]]  # clear values -> extra columns


def encrypt_in_place(
    ring: KeyRing,
    name: str,
    columns: Sequence[str],
    *,
    nullable: bool = False,
    derived: Sequence[tuple[str, TypeEngine[Any]]] = (),
    derive: Derive | None = None,
    batch: int = 1000,
) -> None:
    """Inside a migration: encrypt ``name``'s clear ``columns`` with ``ring``'s
    current key, a batch of rows at a time, then drop the clear columns (zeroed on
    SQLite: ``secure_delete`` is turned on first) and give the encrypted ones their
    names. ``derived`` columns (a keyed hash for look-ups) are added first and
    filled from ``derive(row's clear values)`` in the same batches.

    Each value is authenticated with ``"table.column"``, as :class:`Encrypted`
    columns declared with that context read them. On PostgreSQL the old row
    versions stay in the heap until (auto)vacuum: run ``VACUUM`` on the table after
    the upgrade when its clear values must be gone at once."""
    from alembic import op  # only inside a migration

    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")
    kw = _table_kwargs(bind, name)
    with op.batch_alter_table(name, table_kwargs=kw) as b:
        for col in columns:
            b.add_column(Column(f"{col}_enc", LargeBinary(), nullable=True))
        for extra, type_ in derived:
            b.add_column(Column(extra, type_, nullable=True))

    def encrypt(col: str, value: Any) -> bytes:
        return ring.encrypt(str(value), f"{name}.{col}".encode())

    after = 0
    while True:
        rows = read_batch(bind, name, columns, after=after, limit=batch)
        if not rows:
            break
        planned = changes(rows, columns, encrypt)
        write_batch(bind, name, planned, into={c: f"{c}_enc" for c in columns})
        if derive is not None:
            _write_derived(bind, name, rows, columns, derive)
        after = rows[-1][0]
    _replace_columns(
        name, kw, {c: (f"{c}_enc", LargeBinary()) for c in columns}, nullable
    )


def _replace_columns(
    name: str,
    kw: dict[str, Any],
    new: dict[str, tuple[str, TypeEngine[Any]]],
    nullable: bool,
) -> None:
    """Drop each column of ``new`` and give its name to the column that replaces
    it (``new[col]``: that column's name and type)."""
    from alembic import op

    with op.batch_alter_table(name, table_kwargs=kw) as b:
        for col in new:
            b.drop_column(col)
    with op.batch_alter_table(name, table_kwargs=kw) as b:
        for col, (replacement, type_) in new.items():
            b.alter_column(
                replacement, new_column_name=col, existing_type=type_, nullable=nullable
            )


def decrypt_in_place(
    ring: KeyRing,
    name: str,
    types: dict[str, TypeEngine[Any]],
    *,
    nullable: bool = False,
    batch: int = 1000,
) -> None:
    """The reverse of :func:`encrypt_in_place` for a downgrade: the columns of
    ``types`` decrypted back into clear columns of those types (derived columns are
    the caller's to drop)."""
    from alembic import op

    bind = op.get_bind()
    columns = list(types)
    kw = _table_kwargs(bind, name)
    with op.batch_alter_table(name, table_kwargs=kw) as b:
        for col in columns:
            b.add_column(Column(f"{col}_clear", types[col], nullable=True))
    after = 0
    while True:
        rows = read_batch(bind, name, columns, after=after, limit=batch)
        if not rows:
            break
        for i, col in enumerate(columns, start=1):
            t = table(name, column("id", Integer), column(f"{col}_clear"))
            params = [
                {"_id": r[0], "_v": ring.decrypt(bytes(r[i]), f"{name}.{col}".encode())}
                for r in rows
                if r[i] is not None
            ]
            if params:
                bind.execute(
                    update(t)
                    .where(t.c.id == bindparam("_id"))
                    .values({f"{col}_clear": bindparam("_v")}),
                    params,
                )
        after = rows[-1][0]
    _replace_columns(name, kw, {c: (f"{c}_clear", types[c]) for c in columns}, nullable)


def _table_kwargs(bind: Connection, name: str) -> dict[str, Any]:
    """SQLite's batch mode copies a table without its AUTOINCREMENT (not reflected):
    keep it, or ids of personal rows would be reused (0901_personal_ids)."""
    if bind.dialect.name != "sqlite":
        return {}
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).scalar()
    return {"sqlite_autoincrement": True} if "AUTOINCREMENT" in (sql or "") else {}


def _write_derived(
    bind: Connection,
    name: str,
    rows: list[tuple[Any, ...]],
    columns: Sequence[str],
    derive: Derive,
) -> None:
    params = []
    for row in rows:
        values = derive(dict(zip(columns, row[1:], strict=True)))
        if values:
            params.append({"_id": row[0], **{f"_{k}": v for k, v in values.items()}})
    if not params:
        return
    keys = [k[1:] for k in params[0] if k != "_id"]
    t = table(name, column("id", Integer), *(column(k) for k in keys))
    bind.execute(
        update(t)
        .where(t.c.id == bindparam("_id"))
        .values({k: bindparam(f"_{k}") for k in keys}),
        params,
    )
