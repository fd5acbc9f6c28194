"""`flask --app wsgi backup -o FILE`: a consistent copy of the embedded SQLite
database, taken while the app runs.

``VACUUM INTO`` reads the database in one read transaction (a snapshot: check-ins
committed after it began are not in the copy, and none is half in it) and writes a
fresh, compact file. Under WAL a reader never blocks writers, so check-ins carry on.
The copy has no free pages, so nothing deleted before it lingers in it (unlike a
file copy, which would also race the WAL). It is written under a temporary name,
made readable by its owner only (it holds personal data) and renamed when complete.

PostgreSQL is backed up with its own tool (``pg_dump``; see the README).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Blueprint, current_app
from sqlalchemy import Engine

from .. import db

bp = Blueprint("backup", __name__, cli_group=None)


def backup_sqlite(engine: Engine, target: Path) -> None:
    """Write a consistent copy of ``engine``'s SQLite database to ``target``
    (replaced atomically if it exists)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    # Created empty and private first: VACUUM INTO then fills it (an empty file is
    # allowed) without the copy ever being readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        with db.autocommit(engine) as conn:
            conn.exec_driver_sql("VACUUM INTO ?", (str(tmp),))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@bp.cli.command("backup")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the backup file to write (replaced if it exists)",
)
def backup_cmd(output: Path) -> None:
    """Back the SQLite database up to FILE while the app keeps running."""
    engine = db.get_db(current_app).engine
    if engine.dialect.name != "sqlite":
        raise click.ClickException(
            "this database is PostgreSQL: back it up with pg_dump (see the README, "
            "Backups)"
        )
    source = Path(engine.url.database or "")
    backup_sqlite(engine, output)
    size = output.stat().st_size
    click.echo(f"backed up {source.name} to {output} ({size / 1e6:.1f} MB)")
