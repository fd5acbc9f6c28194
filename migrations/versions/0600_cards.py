"""cards: residents' personal QR cards

Revision ID: 0600_cards
Revises: 0001_foundation
Create Date: 2026-11-29 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0600_cards"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("cards",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_used_at", signage.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_cards")),
        sa.UniqueConstraint("code", name=op.f("uq_personal_cards_code")),
    )
    op.create_index(
        "ix_personal_cards_last_used_at", "personal_cards", ["last_used_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_personal_cards_last_used_at", table_name="personal_cards")
    op.drop_table("personal_cards")
