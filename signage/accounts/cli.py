"""`flask --app wsgi users ...`: create accounts and reset passwords from a shell."""

from __future__ import annotations

import sys

import click
from flask import Blueprint, current_app

from .. import csvout, db
from ..errors import DomainError
from . import services
from .models import Organisation, Role

bp = Blueprint("users", __name__, cli_group="users")


def _org_id(value: str | None) -> int | None:
    if not value:
        return None
    s = db.session()
    if value.isdigit():
        org = s.get(Organisation, int(value))
    else:
        org = services.org_by_name(s, value)
    if org is None:
        raise click.BadParameter(f"no organisation {value!r}", param_hint="--org")
    return org.id


@bp.cli.command("create")
@click.option("--email", required=True)
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="role"
)
@click.option("--org", "org", default=None, help="organisation id or exact name")
@click.option("--name", default="")
@click.password_option(help="at least 10 characters; prompted when omitted")
def create(email: str, role: str, org: str | None, name: str, password: str) -> None:
    """Create a user account."""
    s = db.session(write=True)
    try:
        user = services.create_user(
            s,
            email=email,
            password=password,
            role=Role(role),
            name=name,
            organisation_id=_org_id(org),
            policy=services.HashPolicy.from_config(current_app.config),
        )
    except DomainError as e:
        raise click.ClickException(e.message) from e
    s.commit()
    click.echo(f"created {user.email} ({user.role.value}) id={user.id}")


@bp.cli.command("reset-password")
@click.option("--email", required=True)
@click.password_option(help="the new password; prompted when omitted")
def reset_password(email: str, password: str) -> None:
    """Set a new password and end every open session of the account."""
    s = db.session(write=True)
    try:
        user = services.user_by_email(s, email)
        services.set_password(
            s, user, password, services.HashPolicy.from_config(current_app.config)
        )
    except DomainError as e:
        raise click.ClickException(e.message) from e
    s.commit()
    click.echo(f"password changed for {user.email}; all sessions ended")


@bp.cli.command("list")
def list_users() -> None:
    """Print users as CSV: id,email,role,organisation_id,active."""
    rows = (
        (u.id, u.email, u.role.value, u.organisation_id, int(u.active))
        for u in services.list_users(db.session())
    )
    header = ("id", "email", "role", "organisation_id", "active")
    csvout.write(sys.stdout, header, rows)
