"""checkin: names, phone numbers and feedback encrypted at rest

Existing rows are encrypted with the app's current data key (SIGNAGE_DATA_KEY, see
signage/crypto.py) into new columns, a batch at a time, and the clear columns are
dropped, with ``name_fold`` (a searchable copy of the name in clear): the portal's
search now filters decrypted names in Python. ``name_hash`` (HMAC of the app secret,
like ``phone_hash``) tells the people sharing a phone apart without comparing names.
On SQLite the dropped pages are zeroed (secure_delete) so the names do not stay
readable in the file's free pages.

Revision ID: 0860_checkin_encrypted
Revises: 0210_checkin_submission
"""

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from signage import reencrypt
from signage.text import fold

revision: str = "0860_checkin_encrypted"
down_revision: str | Sequence[str] | None = "0210_checkin_submission"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
# (table, clear columns) -> the contexts the models' Encrypted columns name.
TABLES = {
    "checkins": ("name", "phone"),
    "checkin_feedback": ("message",),
}


def _batch(name: str) -> Any:
    # SQLite copies the table; checkins must keep its AUTOINCREMENT (see 0210).
    kwargs = {"sqlite_autoincrement": True} if name == "checkins" else {}
    return op.batch_alter_table(name, table_kwargs=kwargs)


def _secure_delete() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")


def _rewrite(name: str, columns: Sequence[str], convert: Any, into: dict) -> None:
    conn, after = op.get_bind(), 0
    while True:
        rows = reencrypt.read_batch(conn, name, columns, after=after, limit=BATCH)
        if not rows:
            return
        planned = reencrypt.changes(rows, columns, convert)
        reencrypt.write_batch(conn, name, planned, into=into)
        after = rows[-1][0]


def _name_hashes() -> None:
    """HMAC-SHA256(secret, b"name\\0" + name): signage.checkin.people.name_hash."""
    conn, after = op.get_bind(), 0
    secret = context.config.attributes["secret"].encode()
    t = sa.table("checkins", sa.column("id"), sa.column("name_hash"))
    while True:
        rows = reencrypt.read_batch(
            conn, "checkins", ("name",), after=after, limit=BATCH
        )
        if not rows:
            return
        conn.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("_id"))
            .values(name_hash=sa.bindparam("_h")),
            [
                {
                    "_id": r[0],
                    "_h": hmac.new(
                        secret, b"name\0" + r[1].encode(), hashlib.sha256
                    ).hexdigest(),
                }
                for r in rows
            ],
        )
        after = rows[-1][0]


def upgrade() -> None:
    _secure_delete()
    ring = context.config.attributes["keyring"]()
    for name, columns in TABLES.items():
        with _batch(name) as b:
            for col in columns:
                b.add_column(sa.Column(f"{col}_enc", sa.LargeBinary(), nullable=True))
            if name == "checkins":
                b.add_column(sa.Column("name_hash", sa.String(64), nullable=True))

        def encrypt(col: str, value: Any, name: str = name) -> bytes:
            return ring.encrypt(str(value), f"{name}.{col}".encode())

        _rewrite(name, columns, encrypt, {c: f"{c}_enc" for c in columns})
        if name == "checkins":
            _name_hashes()
        with _batch(name) as b:
            for col in columns:
                b.drop_column(col)
            if name == "checkins":
                b.drop_column("name_fold")
        with _batch(name) as b:
            if name == "checkins":
                b.alter_column("name_hash", existing_type=sa.String(64), nullable=False)
            for col in columns:
                b.alter_column(
                    f"{col}_enc",
                    new_column_name=col,
                    existing_type=sa.LargeBinary(),
                    nullable=False,
                )


def downgrade() -> None:
    ring = context.config.attributes["keyring"]()
    clear_types = {"name": sa.String(100), "phone": sa.String(20), "message": sa.Text()}
    for name, columns in TABLES.items():
        with _batch(name) as b:
            for col in columns:
                b.add_column(sa.Column(f"{col}_clear", clear_types[col], nullable=True))
            if name == "checkins":
                b.add_column(sa.Column("name_fold", sa.String(100), nullable=True))

        def decrypt(col: str, blob: Any, name: str = name) -> str:
            return ring.decrypt(bytes(blob), f"{name}.{col}".encode())

        into = {c: f"{c}_clear" for c in columns}
        conn, after = op.get_bind(), 0
        while True:
            rows = reencrypt.read_batch(conn, name, columns, after=after, limit=BATCH)
            if not rows:
                break
            planned = reencrypt.changes(rows, columns, decrypt)
            if name == "checkins":  # the folded copy of the name, as before
                planned["name_fold"] = [
                    {"_id": p["_id"], "_new": fold(p["_new"])[:100]}
                    for p in planned.get("name", [])
                ]
            _write_clear(conn, name, planned, {**into, "name_fold": "name_fold"})
            after = rows[-1][0]
        with _batch(name) as b:
            for col in columns:
                b.drop_column(col)
            if name == "checkins":
                b.drop_column("name_hash")
        with _batch(name) as b:
            for col in columns:
                b.alter_column(
                    f"{col}_clear",
                    new_column_name=col,
                    existing_type=clear_types[col],
                    nullable=False,
                )
            if name == "checkins":
                b.alter_column(
                    "name_fold", existing_type=sa.String(100), nullable=False
                )


def _write_clear(conn: Any, name: str, planned: dict, into: dict) -> None:
    for col, params in planned.items():
        if not params:
            continue
        t = sa.table(name, sa.column("id"), sa.column(into[col]))
        conn.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("_id"))
            .values({into[col]: sa.bindparam("_new")}),
            [{"_id": p["_id"], "_new": p["_new"]} for p in params],
        )
