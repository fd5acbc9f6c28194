"""campaign: the campaign's start date, set in the portal beside its deadline

Revision ID: 0941_campaign_start
Revises: 0940_campaign
Create Date: 2026-12-02 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0941_campaign_start"
down_revision: str | Sequence[str] | None = "0940_campaign"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaign_settings") as batch:
        batch.add_column(sa.Column("start", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_settings") as batch:
        batch.drop_column("start")
