"""`flask --app wsgi reports ...`: the deployment table as CSV on stdout; refresh and
rebuild the check-in rollups the reports read."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from .. import db, geo, timefmt
from ..db import utcnow
from . import rollups, services

bp = Blueprint("reports_cli", __name__, cli_group="reports")


@bp.cli.command("deployment")
@click.option("--days", default=7, show_default=True, help="'in use' window in days")
def deployment_cmd(days: int) -> None:
    """Per ward: organisations, venues, boards printed, venues in use (CSV)."""
    report = services.deployment(
        db.session(write=False),
        province_code=current_app.config["DEFAULT_PROVINCE_CODE"],
        now=utcnow(),
        active_days=days,
    )
    click.echo(
        "ward_code,ward,organisations,organisations_printed,venues,venues_active,"
        "venues_printed,venues_in_use"
    )
    for r in [*report.by_ward, report.total]:
        name = (
            geo.ward_name(r.key)
            if r.key
            else ("" if r is not report.total else "TOTAL")
        )
        click.echo(
            f'{r.key or ""},"{name}",{r.organisations},{r.organisations_printed},'
            f"{r.venues},{r.venues_active},{r.venues_printed},{r.venues_in_use}"
        )


@bp.cli.command("refresh")
def refresh_cmd() -> None:
    """Count the check-ins that arrived since the last refresh into the rollups
    (the job queue runs this every minute)."""
    write = db.get_db(current_app).write
    total = 0
    while True:  # one short transaction per step, until the watermark stays put
        with write() as s:
            before = rollups.watermark(s)
            total += rollups.refresh(s, zone=timefmt.zone())
            moved = rollups.watermark(s) != before
            s.commit()
        if not moved:
            break
    click.echo(f"counted {total} check-ins")


@bp.cli.command("rebuild")
@click.option(
    "--step",
    default=rollups.STEP,
    show_default=True,
    help="check-in ids per transaction",
)
def rebuild_cmd(step: int) -> None:
    """Recompute the rollups from the check-ins (after a restore or a bulk load).
    Days already purged keep their figures."""
    if step < 1:
        raise click.BadParameter("step must be at least 1")
    write = db.get_db(current_app).write
    with click.progressbar(length=0, label="rollups") as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        n = rollups.rebuild(write, zone=timefmt.zone(), step=step, progress=progress)
    click.echo(f"counted {n} check-ins")
