"""`flask --app wsgi boards ...`: one venue's board, or all of an organisation's."""

from __future__ import annotations

import sys
import time
from typing import BinaryIO

import click
from flask import Blueprint
from sqlalchemy.orm import Session

from .. import db
from ..accounts.models import Organisation
from ..errors import DomainError
from ..extensions import this_app
from ..storage import get_storage
from ..timefmt import today_local
from ..venues import services as venues
from . import pdf, services

bp = Blueprint("boards_cli", __name__, cli_group="boards")
SIZE = click.Choice(services.BOARD_SIZES, case_sensitive=False)


def _campaign(s: Session) -> pdf.Campaign:
    try:
        app = this_app()
        return services.campaign(s, app.config, get_storage(app))
    except DomainError as e:
        raise click.ClickException(e.message) from e


@bp.cli.command("render")
@click.argument("token")
@click.option("--size", type=SIZE, default="a4", show_default=True)
@click.option("-o", "--output", type=click.File("wb"), required=True, help="PDF file")
def render_cmd(token: str, size: str, output: BinaryIO) -> None:
    """Render the board of the venue with TOKEN (any case, hyphens allowed)."""
    s = db.session(write=True)
    try:
        venue = venues.resolve_token(s, token)
    except DomainError as e:
        raise click.ClickException(f"{token}: {e.message}") from e
    org = s.get(Organisation, venue.organisation_id)
    assert org is not None
    size = size.lower()
    body = pdf.render_one(services.board(venue, org, today_local()), size, _campaign(s))
    output.write(body)
    services.record_downloads(
        s, [venue.id], organisation_id=org.id, size=size, user_id=None
    )
    s.commit()
    click.echo(f"{venue.token} {size}: {len(body)} bytes", err=True)


@bp.cli.command("batch")
@click.option("--org", "org_id", type=int, required=True, help="organisation id")
@click.option("--size", type=SIZE, default="a4", show_default=True)
@click.option("-o", "--output", type=click.File("wb"), required=True, help="PDF file")
def batch_cmd(org_id: int, size: str, output: BinaryIO) -> None:
    """Render every active venue of an organisation into one PDF, a page each."""
    s = db.session(write=False)
    org = s.get(Organisation, org_id)
    if org is None:
        raise click.BadParameter(f"no organisation {org_id}", param_hint="--org")
    size = size.lower()
    total = services.count_org_boards(s, org.id)
    if total == 0:
        raise click.ClickException(f"{org.name} has no active venues")
    campaign = _campaign(s)
    seen: list[int] = []
    started = time.perf_counter()
    boards = services.iter_org_boards(s, org, today_local(), seen)
    title = f"{campaign.title} – {org.name}"
    # click draws the bar only on a terminal; in a pipe it stays silent.
    with click.progressbar(
        length=total, label="boards", file=sys.stderr, show_pos=True
    ) as bar:
        try:
            pages = pdf.render(
                boards,
                size,
                campaign,
                output,
                title=title,
                progress=lambda _n: bar.update(1),
            )
        except pdf.NoBoards as e:
            raise click.ClickException(f"{org.name} has no active venues") from e
    s.commit()
    services.record_downloads(
        s, seen, organisation_id=org.id, size=size, user_id=None, batch=True
    )
    s.commit()
    elapsed = time.perf_counter() - started
    click.echo(f"{pages} boards ({size}) for {org.name} in {elapsed:.1f} s", err=True)
