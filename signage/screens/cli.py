"""`flask --app wsgi loops ...`: list loops, export a published loop for USB players."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import Blueprint, current_app
from sqlalchemy import select

from .. import audit, csvout, db
from ..extensions import this_app
from . import export, services
from .models import Loop
from .renders import render_dir
from .screen import parse_size

bp = Blueprint("loops_cli", __name__, cli_group="loops")


@bp.cli.command("list")
def list_cmd() -> None:
    """Print every loop as CSV: id,name,version (0 = never published)."""
    rows = db.session().execute(
        select(Loop.id, Loop.name, Loop.version).order_by(Loop.id)
    )
    csvout.write(sys.stdout, ("id", "name", "version"), rows)


@bp.cli.command("export")
@click.argument("loop_id", type=int)
@click.option("--size", default="1920x1080", show_default=True, help="WIDTHxHEIGHT")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True
)
@click.option("--no-video", is_flag=True, help="skip loop.mp4")
def export_cmd(loop_id: int, size: str, output: Path, no_video: bool) -> None:
    """Write the published version of LOOP_ID as a ZIP for USB players."""
    try:
        w, h = parse_size(size)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--size") from e
    s = db.session(write=True)
    loop = s.get(Loop, loop_id)
    if loop is None:
        raise click.ClickException(f"no loop {loop_id}")
    version = services.current_version(s, loop)
    if version is None:
        raise click.ClickException(f"loop {loop_id} has never been published")
    data = export.version_zip(current_app, loop.name, version, w, h, video=not no_video)
    output.write_bytes(data)
    audit.record(
        s, user_id=None, action="screens.export", target=f"loop:{loop.id}", size=size
    )
    s.commit()
    click.echo(
        f"wrote {output} ({len(data) / 1e6:.1f} MB): {len(version.slides)} slides, "
        f"version {version.number}, {w}x{h}"
    )


@bp.cli.command("purge-renders")
@click.option("--days", type=int, default=30, show_default=True)
def purge_renders_cmd(days: int) -> None:
    """Delete cached slide renders older than DAYS (they are re-rendered on demand
    from the published snapshot, so this only frees disk)."""
    app = this_app()
    cutoff = time.time() - days * 86400
    removed = 0
    for path in render_dir(app).glob("*/*.*"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    click.echo(f"removed {removed} cached renders older than {days} days")
