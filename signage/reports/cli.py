"""`flask --app wsgi reports deployment`: the deployment table as CSV on stdout."""

from __future__ import annotations

import click
from flask import Blueprint, current_app

from .. import db, geo
from ..db import utcnow
from . import services

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
