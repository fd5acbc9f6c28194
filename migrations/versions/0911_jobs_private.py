"""jobs: parameters that may name someone encrypted at rest, old rows purged

A job's search text (a check-in log export filtered by a name or number) and an
uploaded CSV's text (venue and organisation imports: contact names, phones, e-mails)
move from the plain ``params`` JSON to ``private``, encrypted with the data key
(signage/crypto.py) and cleared when the job ends. Rows already there: a job still
queued or running keeps them, encrypted; an ended one loses them (it never needs
them again). ``ix_jobs_finished`` serves the daily purge of old job rows.

Revision ID: 0911_jobs_private
Revises: 0700_jobs
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision: str = "0911_jobs_private"
down_revision: str | Sequence[str] | None = "0700_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind -> the parameters that may name someone (as the code stood before this).
PRIVATE = {
    "checkins.export": ("search",),
    "venues.import": ("text",),
    "units.import": ("text",),
}
ACTIVE = ("queued", "running")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")
    with op.batch_alter_table("jobs") as b:
        b.add_column(sa.Column("private", sa.LargeBinary(), nullable=True))
        b.create_index("ix_jobs_finished", ["finished_at"])
    ring = context.config.attributes["keyring"]()
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("state", sa.String()),
        sa.column("params", sa.JSON()),
        sa.column("private", sa.LargeBinary()),
    )
    rows = bind.execute(
        sa.select(jobs.c.id, jobs.c.kind, jobs.c.state, jobs.c.params).where(
            jobs.c.kind.in_(list(PRIVATE))
        )
    ).all()
    for job_id, kind, state, params in rows:
        params = dict(params or {})
        private: dict[str, Any] = {
            k: params.pop(k) for k in PRIVATE[kind] if params.get(k) is not None
        }
        for k in PRIVATE[kind]:
            params.pop(k, None)
        sealed = None
        if private and state in ACTIVE:
            text = json.dumps(private, ensure_ascii=False)
            sealed = ring.encrypt(text, b"jobs.private")
        bind.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id)
            .values(params=params, private=sealed)
        )


def downgrade() -> None:
    bind = op.get_bind()
    ring = context.config.attributes["keyring"]()
    jobs = sa.table(
        "jobs",
        sa.column("id", sa.String()),
        sa.column("params", sa.JSON()),
        sa.column("private", sa.LargeBinary()),
    )
    rows = bind.execute(
        sa.select(jobs.c.id, jobs.c.params, jobs.c.private).where(
            jobs.c.private.is_not(None)
        )
    ).all()
    for job_id, params, sealed in rows:
        private = json.loads(ring.decrypt(bytes(sealed), b"jobs.private"))
        bind.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id)
            .values(params={**(params or {}), **private})
        )
    with op.batch_alter_table("jobs") as b:
        b.drop_index("ix_jobs_finished")
        b.drop_column("private")
