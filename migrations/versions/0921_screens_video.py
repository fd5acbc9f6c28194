"""screens: video media (duration, transcoding state)

Revision ID: 0921_screens_video
Revises: 0920_screens_fleet
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0921_screens_video"
down_revision: str | Sequence[str] | None = "0920_screens_fleet"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("screen_media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_ms", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("ready", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column(
                "failed", sa.String(length=300), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("screen_media", schema=None) as batch_op:
        batch_op.drop_column("failed")
        batch_op.drop_column("ready")
        batch_op.drop_column("duration_ms")
