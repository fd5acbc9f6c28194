"""screens: campaign feeds, subscriptions, province policy, overrides, fleet status

Revision ID: 0920_screens_fleet
Revises: 0300_screens
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0920_screens_fleet"
down_revision: str | Sequence[str] | None = "0300_screens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("screen_loops", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("feed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("screens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ward_code", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("tags", sa.String(length=300), nullable=False, server_default="")
        )
        for name, length in (
            ("player_version", 40),
            ("reported_size", 20),
            ("now_src", 300),
            ("now_label", 200),
        ):
            batch_op.add_column(
                sa.Column(
                    name, sa.String(length=length), nullable=False, server_default=""
                )
            )
        batch_op.add_column(
            sa.Column("now_at", signage.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "offline_alerted_at",
                signage.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_screens_ward_code"), ["ward_code"], unique=False
        )

    op.create_table(
        "screen_feeds",
        sa.Column("screen_id", sa.Integer(), nullable=False),
        sa.Column("loop_id", sa.Integer(), nullable=False),
        sa.Column("created_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loop_id"],
            ["screen_loops.id"],
            name=op.f("fk_screen_feeds_loop_id_screen_loops"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["screen_id"],
            ["screens.id"],
            name=op.f("fk_screen_feeds_screen_id_screens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("screen_id", "loop_id", name=op.f("pk_screen_feeds")),
    )
    with op.batch_alter_table("screen_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screen_feeds_loop_id"), ["loop_id"], unique=False
        )

    op.create_table(
        "screen_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_share", sa.Integer(), nullable=False),
        sa.Column("offline_alert_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screen_settings")),
    )

    op.create_table(
        "screen_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "all",
                "ward",
                "tag",
                "organisation",
                name="overridetarget",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("target_value", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("background", sa.String(length=7), nullable=False),
        sa.Column("foreground", sa.String(length=7), nullable=False),
        sa.Column("qr_url", sa.String(length=500), nullable=False),
        sa.Column("starts_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", signage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", signage.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", signage.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_screen_overrides_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screen_overrides")),
    )
    with op.batch_alter_table("screen_overrides", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screen_overrides_live", ["cancelled_at", "ends_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("screen_overrides", schema=None) as batch_op:
        batch_op.drop_index("ix_screen_overrides_live")
    op.drop_table("screen_overrides")
    op.drop_table("screen_settings")
    with op.batch_alter_table("screen_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screen_feeds_loop_id"))
    op.drop_table("screen_feeds")
    with op.batch_alter_table("screens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screens_ward_code"))
        for name in (
            "offline_alerted_at",
            "now_at",
            "now_label",
            "now_src",
            "reported_size",
            "player_version",
            "tags",
            "ward_code",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("screen_loops", schema=None) as batch_op:
        batch_op.drop_column("feed")
