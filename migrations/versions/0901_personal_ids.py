"""privacy: ids of personal tables are never reused (SQLite AUTOINCREMENT)

Revision ID: 0901_personal_ids
Revises: 0900_privacy
Create Date: 2026-12-01 17:25:00

SQLite gives a new row max(id) + 1, so once a purge or a deletion removed the newest
rows their ids came back for other people's rows, and an audit row naming
"card:7" or "feedback:7" would name two people. AUTOINCREMENT never goes back.
PostgreSQL's sequences never did. ``checkins`` got it in 0410_rollups.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0901_personal_ids"
down_revision: str | Sequence[str] | None = "0900_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0600_cards", "0410_rollups")

TABLES = ("personal_cards", "checkin_feedback")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Copied once (foreign keys are off during migrations, env.py).
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade() -> None:
    pass  # AUTOINCREMENT is harmless to keep
