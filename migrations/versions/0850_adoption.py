"""adoption: units' staff rosters and the city app's account list (keyed hashes)

Revision ID: 0850_adoption
Revises: 0001_foundation
Create Date: 2026-12-01 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0850_adoption"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("adoption",)
depends_on: str | Sequence[str] | None = None

_STATE = sa.Enum(
    "importing",
    "current",
    "old",
    "rejected",
    name="uploadstate",
    native_enum=False,
    length=12,
)


def upgrade() -> None:
    ts = signage.db.UTCDateTime(timezone=True)
    op.create_table(
        "rosters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("state", _STATE, nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("expires_at", ts, nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_rosters_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_rosters_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rosters")),
    )
    op.create_index(
        "ix_rosters_organisation_id_state", "rosters", ["organisation_id", "state"]
    )
    op.create_index("ix_rosters_expires_at", "rosters", ["expires_at"])
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("roster_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("position", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["roster_id"],
            ["rosters.id"],
            name=op.f("fk_roster_entries_roster_id_rosters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
    )
    op.create_index(
        "uq_roster_entries_roster_id_phone_hash",
        "roster_entries",
        ["roster_id", "phone_hash"],
        unique=True,
    )
    op.create_table(
        "app_account_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", _STATE, nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("skipped_lines", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["users.id"],
            name=op.f("fk_app_account_lists_uploaded_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_account_lists")),
    )
    op.create_table(
        "app_accounts",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["app_account_lists.id"],
            name=op.f("fk_app_accounts_list_id_app_account_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "phone_hash", name=op.f("pk_app_accounts")),
    )


def downgrade() -> None:
    op.drop_table("app_accounts")
    op.drop_table("app_account_lists")
    op.drop_index("uq_roster_entries_roster_id_phone_hash", table_name="roster_entries")
    op.drop_table("roster_entries")
    op.drop_index("ix_rosters_expires_at", table_name="rosters")
    op.drop_index("ix_rosters_organisation_id_state", table_name="rosters")
    op.drop_table("rosters")
