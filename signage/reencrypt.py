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
    after: int,
    limit: int,
    types: TypeEngine[Any] | None = None,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` rows ``(id, *columns)`` with id > ``after``, raw (as stored)."""
    t = table(name, column("id", Integer), *(column(c, types) for c in columns))
    q = select(t.c.id, *(t.c[c] for c in columns)).where(t.c.id > after)
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
) -> int:
    """Write the planned values: into ``into[column]`` when given (a migration
    filling a new column), else in place, guarded by the old value. Returns the
    number of values written."""
    written = 0
    for col, params in planned.items():
        target = into[col] if into else col
        t = table(name, column("id", Integer), column(col, types), column(target))
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
        done, after = Rotated(name), 0
        while True:
            with engine.connect() as conn:  # a read: no write lock
                rows = read_batch(
                    conn, name, names, after=after, limit=batch, types=LargeBinary()
                )
                conn.rollback()
            if not rows:
                break
            planned = changes(rows, names, convert)
            start = time.perf_counter()
            if planned:
                with write.begin() as conn:
                    done.values += write_batch(conn, name, planned, types=LargeBinary())
            ms = (time.perf_counter() - start) * 1000
            done.longest_write_ms = max(done.longest_write_ms, ms)
            done.rows += len(rows)
            done.batches += 1
            after = rows[-1][0]
            if progress is not None:
                progress(done)
        yield done
