"""`flask --app wsgi venues ...`: list venues for scripts and benchmarks."""

from __future__ import annotations

import csv
import sys

import click
from flask import Blueprint
from sqlalchemy import select

from .. import db
from ..accounts.models import Organisation
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
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["token", "name", "organisation"])
    for row in db.session().execute(q):
        out.writerow(row)
