"""adoption: staff rosters' names and phone numbers encrypted at rest

As for check-ins (0860) and cards (0861): existing roster lines are encrypted with the
current data key into new columns and the clear ones dropped (zeroed on SQLite);
``phone_hash`` (the adoption match hash) already finds them.

Revision ID: 0851_adoption_encrypted
Revises: 0850_adoption
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from signage import reencrypt

revision: str = "0851_adoption_encrypted"
down_revision: str | Sequence[str] | None = "0850_adoption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "roster_entries"
COLUMNS = ("name", "phone")
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")
    ring = context.config.attributes["keyring"]()
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.add_column(sa.Column(f"{col}_enc", sa.LargeBinary(), nullable=True))

    def encrypt(col: str, value: Any) -> bytes:
        return ring.encrypt(str(value), f"{TABLE}.{col}".encode())

    after = 0
    while True:
        rows = reencrypt.read_batch(bind, TABLE, COLUMNS, after=after, limit=BATCH)
        if not rows:
            break
        planned = reencrypt.changes(rows, COLUMNS, encrypt)
        reencrypt.write_batch(
            bind, TABLE, planned, into={c: f"{c}_enc" for c in COLUMNS}
        )
        after = rows[-1][0]
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.drop_column(col)
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.alter_column(
                f"{col}_enc",
                new_column_name=col,
                existing_type=sa.LargeBinary(),
                nullable=False,
            )


def downgrade() -> None:
    bind = op.get_bind()
    ring = context.config.attributes["keyring"]()
    types = {"name": sa.String(120), "phone": sa.String(20)}
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.add_column(sa.Column(f"{col}_clear", types[col], nullable=True))
    after = 0
    while True:
        rows = reencrypt.read_batch(bind, TABLE, COLUMNS, after=after, limit=BATCH)
        if not rows:
            break
        for col_index, col in enumerate(COLUMNS, start=1):
            t = sa.table(TABLE, sa.column("id"), sa.column(f"{col}_clear"))
            bind.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("_id"))
                .values({f"{col}_clear": sa.bindparam("_v")}),
                [
                    {
                        "_id": r[0],
                        "_v": ring.decrypt(
                            bytes(r[col_index]), f"{TABLE}.{col}".encode()
                        ),
                    }
                    for r in rows
                ],
            )
        after = rows[-1][0]
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.drop_column(col)
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.alter_column(
                f"{col}_clear",
                new_column_name=col,
                existing_type=types[col],
                nullable=False,
            )
