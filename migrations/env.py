"""Alembic environment: runs on the app's own engine (see signage/core/cli.py)."""

from alembic import context

from signage.models import metadata

engine = context.config.attributes.get("engine")
if engine is None or context.is_offline_mode():
    raise SystemExit("run migrations with: flask --app wsgi db upgrade")

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
