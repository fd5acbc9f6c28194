"""mail: the e-mail outbox

Revision ID: 0800_mail
Revises: 0001_foundation
Create Date: 2026-12-01 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0800_mail"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("mail",)
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def upgrade() -> None:
    ts = signage.db.UTCDateTime(timezone=True)
    op.create_table(
        "outbox_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("to_addr", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            _enum("mailstate", "queued", "sending", "sent", "failed"),
            nullable=False,
        ),
        sa.Column("transport", _enum("transport", "smtp", "outbox"), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("claimed_at", ts, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("sent_at", ts, nullable=True),
        sa.Column("body_cleared", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_outbox_mails_org_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mails")),
    )
    op.create_index(
        "ix_outbox_mails_state_next", "outbox_mails", ["state", "next_attempt_at"]
    )
    op.create_index("ix_outbox_mails_created_at", "outbox_mails", ["created_at"])
    op.create_index("ix_outbox_mails_org_id", "outbox_mails", ["org_id"])


def downgrade() -> None:
    op.drop_table("outbox_mails")
