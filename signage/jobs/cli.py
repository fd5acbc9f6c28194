"""`flask --app wsgi jobs ...`: the consumer, the reaper, housekeeping by hand."""

from __future__ import annotations

import logging

import click
from flask import Blueprint

from ..extensions import this_app
from . import housekeeping, queue

bp = Blueprint("jobs_cli", __name__, cli_group="jobs")


@bp.cli.command("consume")
@click.option("-w", "--workers", type=int, default=None, help="Default: JOBS_WORKERS.")
@click.option(
    "--periodic/--no-periodic",
    default=True,
    show_default=True,
    help="Run the periodic schedule (housekeeping). With several consumers on one "
    "Redis queue, keep it on one of them.",
)
def consume_cmd(workers: int | None, periodic: bool) -> None:
    """Run Huey's consumer for this app's queue until SIGINT/SIGTERM."""
    app = this_app()
    huey = queue.get_huey(app)
    if huey.immediate:
        raise click.ClickException(
            "JOBS_IMMEDIATE is set: there is no queue to consume"
        )
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    consumer = huey.create_consumer(
        workers=workers or int(app.config["JOBS_WORKERS"]),
        worker_type="thread",
        periodic=periodic,
        check_worker_health=True,
    )
    consumer.run()


@bp.cli.command("reap")
def reap_cmd() -> None:
    """Re-queue or fail jobs whose consumer died (the consumer does it each minute)."""
    n = queue.reap(this_app())
    click.echo(f"resolved {n} lost jobs")


@bp.cli.command("housekeep")
@click.argument("name", type=click.Choice([p.name for p in housekeeping.PERIODIC]))
def housekeep_cmd(name: str) -> None:
    """Run one periodic task now (cron or a systemd timer instead of the consumer)."""
    entry = next(p for p in housekeeping.PERIODIC if p.name == name)
    result = entry.fn(this_app())
    click.echo(f"{name}: {result}")
