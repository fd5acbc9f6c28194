"""accounts: an invitation withdrawn by a manager or the admin

``withdrawn_at`` is set (with ``revoked_at``) when a pending invitation is cancelled,
so its link says it was withdrawn rather than replaced by a newer one.

Revision ID: 0912_invitation_withdrawn
Revises: 0801_account_links
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0912_invitation_withdrawn"
down_revision: str | Sequence[str] | None = "0801_account_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invitations") as b:
        b.add_column(
            sa.Column(
                "withdrawn_at", signage.db.UTCDateTime(timezone=True), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("invitations") as b:
        b.drop_column("withdrawn_at")
