"""`flask --app wsgi cards purge`: delete cards unused for the retention period."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Blueprint, current_app

from .. import db, erase
from . import services

bp = Blueprint("cards_cli", __name__, cli_group="cards")


@bp.cli.command("purge")
@click.option("--days", type=int, default=None, help="Default: CARDS_RETENTION_DAYS.")
def purge_cmd(days: int | None) -> None:
    """Delete cards (name and phone) not used for DAYS days; prints how many."""
    days = current_app.config["CARDS_RETENTION_DAYS"] if days is None else days
    if days < 1:
        raise click.BadParameter("days must be at least 1")
    s = db.session(write=True)
    n = services.purge(s, db.utcnow() - timedelta(days=days))
    s.commit()
    erase.scrub(db.get_db(current_app).engine, ("personal_cards",))
    click.echo(f"purged {n} personal cards unused for {days} days")
