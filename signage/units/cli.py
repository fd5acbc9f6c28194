"""`flask units ...`: fill the progress charts' missing days."""

from __future__ import annotations

import click
from flask import Blueprint, Flask, current_app

from .. import campaign, db, timefmt
from . import progress

bp = Blueprint("units_cli", __name__, cli_group="units")


@bp.cli.command("progress")
def progress_cmd() -> None:
    """Write each unit's figures for every day since the campaign start that has
    none yet (the daily housekeeping does the same)."""
    n = fill_progress(current_app)
    click.echo(f"{n} day(s) written")


def fill_progress(app: Flask) -> int:
    today = timefmt.today_local()
    with db.get_db(app).read() as s:
        start = campaign.current(s, app.config).start
    return progress.fill(
        db.get_db(app).write,
        start=progress.campaign_start(start, today),
        today=today,
        province_code=int(app.config["DEFAULT_PROVINCE_CODE"]),
        zone=timefmt.zone(),
    )
