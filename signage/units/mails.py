"""The units' e-mails: rendered from templates/units/mail/ and put in the outbox
(signage.mail), sent once the request's transaction commits. View-side helpers:
they render templates, so they run in a request or an app context."""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy.orm import Session

from ..mail.services import queue_mail
from . import registration, reminders
from .figures import OrgRow
from .models import Registration, RegState


def _base() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


def _send(
    session: Session,
    to: str,
    name: str,
    kind: str,
    *,
    org_id: int | None = None,
    **ctx: object,
) -> None:
    # Vietnamese whatever the sender's page language: the recipient's is not known.
    # Through the Jinja environment, not render_template: no request-bound context
    # processor (the signed-in user) runs, so a job renders them the same way.
    env = current_app.jinja_env
    with force_locale("vi"):
        subject = env.get_template(f"units/mail/{name}.subject.txt").render(**ctx)
        text = env.get_template(f"units/mail/{name}.txt").render(**ctx)
    subject = subject.strip()
    queue_mail(session, to=to, subject=subject, text=text, kind=kind, org_id=org_id)


def verify(session: Session, reg: Registration, link: str) -> None:
    hours = int(current_app.config["REGISTER_LINK_HOURS"])
    _send(session, reg.email, "verify", "units.verify", reg=reg, link=link, hours=hours)


def already_registered(session: Session, email: str) -> None:
    _send(
        session,
        email,
        "already",
        "units.already",
        login=_base() + url_for("accounts.login"),
    )


def after_verify(session: Session, reg: Registration) -> None:
    """Approved at once (the unit approves automatically): tell the registrant;
    otherwise tell the unit's supervisors a registration waits."""
    if reg.state is RegState.APPROVED:
        decided(session, reg)
        return
    link = _base() + url_for("units.registrations")
    for to in registration.supervisors_of(session, reg.parent_id):
        _send(session, to, "waiting", "units.waiting", reg=reg, link=link)


def decided(session: Session, reg: Registration) -> None:
    _send(
        session,
        reg.email,
        "approved" if reg.state is RegState.APPROVED else "refused",
        "units.decision",
        reg=reg,
        login=_base() + url_for("accounts.login"),
        register=_base() + url_for("registration.register"),
        org_id=reg.organisation_id,
    )


def reminder(
    session: Session,
    row: OrgRow,
    *,
    to: list[str],
    unit_name: str,
    missing_labels: Mapping[str, object],
    venues_without_board: list[str],
    deadline: str,
) -> None:
    """One reminder to each address of the organisation, listing its own missing
    items."""
    for address in to:
        _send(
            session,
            address,
            "reminder",
            "units.reminder",
            org_id=row.id,
            org=row,
            unit_name=unit_name,
            missing=[(m, missing_labels[m]) for m in row.missing],
            venues=venues_without_board[: reminders.MISSING_VENUES_LISTED],
            more=len(venues_without_board) > reminders.MISSING_VENUES_LISTED,
            deadline=deadline,
            login=_base() + "/login",  # no request in a job: no url_for
        )
