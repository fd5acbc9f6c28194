"""reports: boards confirmed posted (with an optional photo), the system's figures in
each organisation's report, and board previews told apart from boards produced

Revision ID: 0840_board_postings
Revises: 0410_rollups
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0840_board_postings"
down_revision: str | Sequence[str] | None = "0410_rollups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0100_boards"


def upgrade() -> None:
    op.create_table(
        "board_postings",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.Column(
            "confirmed_at", signage.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("photo_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_board_postings_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_board_postings_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["users.id"],
            name=op.f("fk_board_postings_confirmed_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("venue_id", name=op.f("pk_board_postings")),
    )
    op.create_index(
        "ix_board_postings_organisation_id", "board_postings", ["organisation_id"]
    )
    # Rows logged before this revision were all counted as produced; they stay so.
    with op.batch_alter_table("board_downloads") as batch_op:
        batch_op.add_column(
            sa.Column(
                "preview", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("org_reports") as batch_op:
        for name in ("venues", "boards_produced", "screens_paired"):
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            )


def downgrade() -> None:
    with op.batch_alter_table("org_reports") as batch_op:
        for name in ("screens_paired", "boards_produced", "venues"):
            batch_op.drop_column(name)
    with op.batch_alter_table("board_downloads") as batch_op:
        batch_op.drop_column("preview")
    op.drop_index("ix_board_postings_organisation_id", table_name="board_postings")
    op.drop_table("board_postings")
