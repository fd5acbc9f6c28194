"""`flask --app wsgi venues ...`: list venues (scripts, benchmarks), import a CSV."""

from __future__ import annotations

import sys
import time
from typing import BinaryIO

import click
from flask import Blueprint
from sqlalchemy import select

from .. import audit, csvout, db
from ..accounts.models import Organisation
from . import csvimport, services
from .models import Venue

bp = Blueprint("venues_cli", __name__, cli_group="venues")


@bp.cli.command("list")
@click.option("--org", "org_id", type=int, default=None, help="only this organisation")
def list_cmd(org_id: int | None) -> None:
    """Print every venue as CSV: token,name,organisation."""
    q = (
        select(Venue.token, Venue.name, Organisation.name)
        .join(Organisation, Organisation.id == Venue.organisation_id)
        .order_by(Venue.id)
    )
    if org_id is not None:
        q = q.where(Venue.organisation_id == org_id)
    csvout.write(sys.stdout, ("token", "name", "organisation"), db.session().execute(q))


@bp.cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--org", "org_id", type=int, required=True, help="organisation id")
@click.option("--dry-run", is_flag=True, help="check the file, write nothing")
def import_cmd(file: BinaryIO, org_id: int, dry_run: bool) -> None:
    """Import venues from a CSV file (the same rules as the portal's import).

    Every error is printed as LINE:COLUMN: message and nothing is written unless the
    whole file is valid.
    """
    s = db.session(write=True)
    org = s.get(Organisation, org_id)
    if org is None:
        raise click.BadParameter(f"no organisation {org_id}", param_hint="--org")
    started = time.perf_counter()
    result = csvimport.parse(
        file.read(), province_code=org.province_code, default_ward=org.ward_code
    )
    for e in result.errors:
        click.echo(f"{e.line}:{e.column}: {e.message}", err=True)
    if result.errors:
        raise click.ClickException(f"{len(result.errors)} errors; nothing imported")
    if dry_run:
        click.echo(f"{len(result.rows)} venues valid ({result.encoding}); dry run")
        return
    count = services.create_venues(s, org, result.rows)
    audit.record(
        s,
        user_id=None,
        action="venues.import",
        target=f"organisation:{org.id}",
        count=count,
        source="cli",
    )
    s.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"imported {count} venues into {org.name} in {elapsed:.2f} s")
