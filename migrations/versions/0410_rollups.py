"""reports: check-in rollups (per venue and day, per province and day, last check-in)
and check-in ids that are never reused on SQLite

Revision ID: 0410_rollups
Revises: 0400_reports
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0410_rollups"
down_revision: str | Sequence[str] | None = "0400_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0200_checkin"


def upgrade() -> None:
    op.create_table(
        "checkin_venue_days",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_checkin_venue_days_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("venue_id", "day", name=op.f("pk_checkin_venue_days")),
    )
    op.create_index("ix_checkin_venue_days_day", "checkin_venue_days", ["day"])
    op.create_table(
        "checkin_province_days",
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checkins", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "province_code", "day", name=op.f("pk_checkin_province_days")
        ),
    )
    op.create_table(
        "checkin_venue_last",
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column(
            "last_checkin_at", signage.db.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_checkin_venue_last_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("venue_id", name=op.f("pk_checkin_venue_last")),
    )
    op.create_index(
        "ix_checkin_venue_last_at", "checkin_venue_last", ["last_checkin_at"]
    )
    state = op.create_table(
        "checkin_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_checkin_id", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", signage.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_rollup_state")),
    )
    # Nothing counted yet: every existing check-in is the tail until the first
    # `flask reports refresh` (or `reports rebuild`) counts it.
    op.bulk_insert(state, [{"id": 1, "last_checkin_id": 0}])
    if op.get_bind().dialect.name == "sqlite":
        # AUTOINCREMENT: SQLite otherwise gives a new row max(id) + 1, reusing the ids
        # of the newest rows once a purge deleted them, and the rollups would skip
        # the new rows as already counted. PostgreSQL's sequence never goes back.
        # The table is copied once (foreign keys are off during migrations, env.py).
        with op.batch_alter_table(
            "checkins", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    op.drop_table("checkin_rollup_state")
    op.drop_index("ix_checkin_venue_last_at", table_name="checkin_venue_last")
    op.drop_table("checkin_venue_last")
    op.drop_table("checkin_province_days")
    op.drop_index("ix_checkin_venue_days_day", table_name="checkin_venue_days")
    op.drop_table("checkin_venue_days")
