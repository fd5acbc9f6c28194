"""reports: organisations' deployment and adoption reports

Revision ID: 0400_reports
Revises: 0001_foundation
Create Date: 2026-11-29 05:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0400_reports"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("reports",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("staff_total", sa.Integer(), nullable=False),
        sa.Column("staff_with_app", sa.Integer(), nullable=False),
        sa.Column("boards_posted", sa.Integer(), nullable=False),
        sa.Column("screens_running", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_org_reports_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_org_reports_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_reports")),
    )
    op.create_index(
        "ix_org_reports_org_created", "org_reports", ["organisation_id", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_org_reports_org_created", table_name="org_reports")
    op.drop_table("org_reports")
