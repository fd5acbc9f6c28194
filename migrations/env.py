"""Alembic environment: runs on the app's own engine (see signage/core/cli.py)."""

from alembic import context

from signage.models import metadata

engine = context.config.attributes.get("engine")
if engine is None or context.is_offline_mode():
    raise SystemExit("run migrations with: flask --app wsgi db upgrade")

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode copies a table and drops the old one; with foreign keys on,
        # that DROP would cascade into the rows that reference it (Alembic's own
        # advice). The pragma only works outside a transaction, so it goes to the
        # driver before ours begins; the keys are checked again at the end.
        connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=sqlite,
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"foreign keys broken by a migration: {broken}")
    finally:
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
