"""units: the organisation tree, registrations, reminders, daily unit progress

Revision ID: 0820_units
Revises: 0001_foundation
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import signage.db

revision: str = "0820_units"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("units",)
depends_on: str | Sequence[str] | None = None

_KINDS = ("state_agency", "school", "police", "army", "business", "other")


def upgrade() -> None:
    ts = signage.db.UTCDateTime(timezone=True)
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("tax_code", sa.String(13), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "contact_email", sa.String(255), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "auto_approve", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_organisations_parent_id_organisations"),
            "organisations",
            ["parent_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index(
            batch_op.f("ix_organisations_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_organisations_tax_code"), ["tax_code"], unique=False
        )

    op.create_table(
        "registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "unverified",
                "pending",
                "approved",
                "refused",
                name="regstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*_KINDS, name="orgkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("tax_code", sa.String(13), nullable=False),
        sa.Column("contact_name", sa.String(120), nullable=False),
        sa.Column("contact_phone", sa.String(20), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("verified_at", ts, nullable=True),
        sa.Column("decided_at", ts, nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["organisations.id"],
            name=op.f("fk_registrations_parent_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_registrations_decided_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_registrations_organisation_id_organisations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registrations_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(
            "ix_registrations_state_parent", ["state", "parent_id"], unique=False
        )

    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("missing", sa.String(120), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_reminders_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"],
            ["users.id"],
            name=op.f("fk_reminders_sent_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
    )
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminders_org_created", ["organisation_id", "created_at"], unique=False
        )

    counts = (
        "organisations",
        "orgs_boarded",
        "orgs_reported",
        "venues",
        "venues_boarded",
        "venues_posted",
        "venues_active",
        "staff_total",
        "staff_with_app",
    )
    op.create_table(
        "unit_days",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        sa.PrimaryKeyConstraint("unit_id", "day", name=op.f("pk_unit_days")),
    )


def downgrade() -> None:
    op.drop_table("unit_days")
    with op.batch_alter_table("reminders", schema=None) as batch_op:
        batch_op.drop_index("ix_reminders_org_created")
    op.drop_table("reminders")
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_state_parent")
        batch_op.drop_index(batch_op.f("ix_registrations_parent_id"))
    op.drop_table("registrations")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisations_tax_code"))
        batch_op.drop_index(batch_op.f("ix_organisations_parent_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_organisations_parent_id_organisations"), type_="foreignkey"
        )
        batch_op.drop_column("auto_approve")
        batch_op.drop_column("contact_email")
        batch_op.drop_column("tax_code")
        batch_op.drop_column("parent_id")
