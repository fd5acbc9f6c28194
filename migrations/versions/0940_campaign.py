"""campaign: the campaign's identity, edited by the province in the portal

Revision ID: 0940_campaign
Revises: 0001_foundation
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0940_campaign"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("campaign",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = {"nullable": False, "server_default": ""}
    op.create_table(
        "campaign_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority", sa.String(length=160), **text),
        sa.Column("title", sa.String(length=160), **text),
        sa.Column("color", sa.String(length=7), **text),
        sa.Column("accent", sa.String(length=7), **text),
        sa.Column("logo_key", sa.String(length=200), nullable=True),
        sa.Column("app_name", sa.String(length=60), **text),
        sa.Column("app_url", sa.String(length=300), **text),
        sa.Column("alt_staff", sa.String(length=200), **text),
        sa.Column("hotline", sa.String(length=40), **text),
        sa.Column("zalo", sa.String(length=120), **text),
        sa.Column("english", sa.String(length=200), **text),
        sa.Column("privacy", sa.String(length=300), **text),
        sa.Column("privacy_en", sa.String(length=300), **text),
        sa.Column("retention", sa.String(length=300), **text),
        sa.Column("retention_en", sa.String(length=300), **text),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("updated_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("campaign_settings")
