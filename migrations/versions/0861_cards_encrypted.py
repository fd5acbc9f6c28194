"""cards: holders' names and phone numbers encrypted at rest, found by phone hash

As for check-ins (0860): existing cards are encrypted with the current data key into
new columns and the clear ones dropped (zeroed on SQLite); ``phone_hash`` (HMAC of
the app secret, as on check-ins) is how a resident's cards are found by number now
that the number itself is encrypted.

Revision ID: 0861_cards_encrypted
Revises: 0600_cards
"""

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from signage import reencrypt

revision: str = "0861_cards_encrypted"
down_revision: str | Sequence[str] | None = "0600_cards"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "personal_cards"
COLUMNS = ("name", "phone")
BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")
    ring = context.config.attributes["keyring"]()
    secret = context.config.attributes["secret"].encode()
    with op.batch_alter_table(TABLE) as b:
        for col in COLUMNS:
            b.add_column(sa.Column(f"{col}_enc", sa.LargeBinary(), nullable=True))
        b.add_column(sa.Column("phone_hash", sa.String(64), nullable=True))

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
        t = sa.table(TABLE, sa.column("id"), sa.column("phone_hash"))
        bind.execute(
            sa.update(t)
            .where(t.c.id == sa.bindparam("_id"))
            .values(phone_hash=sa.bindparam("_hash")),
            [
                {
                    "_id": r[0],
                    "_hash": hmac.new(
                        secret, r[2].encode(), hashlib.sha256
                    ).hexdigest(),
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
                f"{col}_enc",
                new_column_name=col,
                existing_type=sa.LargeBinary(),
                nullable=False,
            )
        b.alter_column("phone_hash", existing_type=sa.String(64), nullable=False)
        b.create_index("ix_personal_cards_phone_hash", ["phone_hash"])


def downgrade() -> None:
    bind = op.get_bind()
    ring = context.config.attributes["keyring"]()
    types = {"name": sa.String(100), "phone": sa.String(20)}
    with op.batch_alter_table(TABLE) as b:
        b.drop_index("ix_personal_cards_phone_hash")
        b.drop_column("phone_hash")
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
