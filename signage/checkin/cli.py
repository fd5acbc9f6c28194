"""`flask --app wsgi checkins purge`: delete check-ins past the retention period."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Blueprint, current_app

from .. import db, timefmt
from .purge import purge

bp = Blueprint("checkins", __name__, cli_group="checkins")


@bp.cli.command("purge")
@click.option("--days", type=int, default=None, help="Default: RETENTION_DAYS.")
@click.option(
    "--batch",
    type=int,
    default=None,
    help="Most rows per transaction (the size "
    "adapts below it so each holds the write lock about 20 ms).",
)
def purge_cmd(days: int | None, batch: int | None) -> None:
    """Delete check-ins and feedback older than the retention period, in batches.

    Each batch is its own short transaction, so check-ins keep flowing while a large
    backlog is purged. Prints how many rows went and the longest lock held.
    """
    days = current_app.config["RETENTION_DAYS"] if days is None else days
    batch = batch or current_app.config["CHECKIN_PURGE_BATCH"]
    if days < 1 or batch < 1:
        raise click.BadParameter("days and batch must be at least 1")
    cutoff = db.utcnow() - timedelta(days=days)
    report = purge(
        db.get_db(current_app).write, cutoff, max_batch=batch, zone=timefmt.zone()
    )
    click.echo(
        f"purged {report.checkins} check-ins and {report.feedback} feedback "
        f"older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC) in "
        f"{len(report.batches)} transactions, longest write lock "
        f"{report.max_held_ms:.0f} ms (median {report.median_held_ms:.0f} ms, "
        f"p99 {report.p99_held_ms:.0f} ms)"
    )
