"""checkin: a form's submission id is unique per venue, not across venues

The dedupe key of a check-in form is (venue, submission id): the same form sent twice
is one check-in, and an id replayed on another venue's form is simply a new check-in
there (before, it broke the global unique key and the view retried by hand).

Revision ID: 0210_checkin_submission
Revises: 0200_checkin
"""

from collections.abc import Sequence
from typing import Any

from alembic import op

revision: str = "0210_checkin_submission"
down_revision: str | Sequence[str] | None = "0200_checkin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _batch() -> Any:
    # Batch mode: SQLite changes constraints by copying the table, which must keep
    # the AUTOINCREMENT the model declares (0410_rollups may have run first).
    return op.batch_alter_table(
        "checkins", schema=None, table_kwargs={"sqlite_autoincrement": True}
    )


def upgrade() -> None:
    with _batch() as batch_op:
        batch_op.drop_constraint("uq_checkins_submission_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_checkins_venue_submission", ["venue_id", "submission_id"]
        )


def downgrade() -> None:
    # Fails if one id was used at two venues meanwhile, as it should: that data does
    # not fit the older rule.
    with _batch() as batch_op:
        batch_op.drop_constraint("uq_checkins_venue_submission", type_="unique")
        batch_op.create_unique_constraint(
            "uq_checkins_submission_id", ["submission_id"]
        )
