"""boards: board downloads (one row per venue board produced)

Revision ID: 0100_boards
Revises: 0001_foundation
Create Date: 2026-11-29 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0100_boards"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("boards",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "board_downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("batch", sa.Boolean(), nullable=False),
        sa.Column("created_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_board_downloads_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_board_downloads_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_board_downloads_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_downloads")),
    )
    with op.batch_alter_table("board_downloads", schema=None) as batch_op:
        batch_op.create_index(
            "ix_board_downloads_venue_id_created_at",
            ["venue_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_board_downloads_organisation_id_created_at",
            ["organisation_id", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("board_downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_board_downloads_organisation_id_created_at")
        batch_op.drop_index("ix_board_downloads_venue_id_created_at")
    op.drop_table("board_downloads")
