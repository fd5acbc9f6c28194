"""The outbox pages: the province admin's list (failures, retry) and, outside
production only, the developer's outbox at /dev/mail (read mails, click links)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _

from .. import db
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import N_
from . import delivery, services
from .models import MailState

bp = Blueprint("mail", __name__)
# Registered only when ENV is not production (signage/__init__.py): there the
# routes do not exist at all, so they answer 404.
dev_bp = Blueprint("mail_dev", __name__, url_prefix="/dev/mail")

STATE_LABELS = {
    MailState.QUEUED: N_("Đang chờ gửi"),
    MailState.SENDING: N_("Đang gửi"),
    MailState.SENT: N_("Đã gửi"),
    MailState.FAILED: N_("Gửi không thành công"),
}


@bp.record_once
def _install(state: BlueprintSetupState) -> None:
    app = state.app
    assert isinstance(app, Flask)  # Flask's sansio App, here always our Flask app
    delivery.install(app)


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "mail_state_label": lambda s: _(STATE_LABELS[MailState(s)]),
        # Called by the admin's menu only (mail/_nav.html): one indexed count.
        "mail_recent_failures": lambda: services.recent_failures(db.session()),
    }


@bp.get("/admin/mail")
@roles_required(Role.ADMIN)
def outbox() -> Any:
    s = db.session()
    raw = request.args.get("state", "")
    state = MailState(raw) if raw in set(MailState) else None
    return render_template(
        "mail/outbox.html",
        mails=services.recent(s, state=state),
        counts=services.counts(s),
        state=state,
        limit=services.LIST_LIMIT,
    )


@bp.post("/admin/mail/<int:mail_id>/retry")
@roles_required(Role.ADMIN)
def retry(mail_id: int) -> Any:
    services.retry(db.session(), mail_id)
    flash(_("Thư đã được xếp lại để gửi."), "success")
    return redirect(url_for("mail.outbox", state="failed"))


# Development outbox ------------------------------------------------------------------

_LINK = re.compile(r"https?://[^\s<>\"')]+")


def segments(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_link) so the template makes links clickable
    while escaping everything."""
    out: list[tuple[str, bool]] = []
    last = 0
    for match in _LINK.finditer(text):
        if match.start() > last:
            out.append((text[last : match.start()], False))
        out.append((match.group(0), True))
        last = match.end()
    if last < len(text):
        out.append((text[last:], False))
    return out


@dev_bp.get("/")
def dev_list() -> Any:
    return render_template(
        "mail/dev_list.html", mails=services.recent(db.session(), limit=100)
    )


@dev_bp.get("/<int:mail_id>")
def dev_show(mail_id: int) -> Any:
    mail = services.get_mail(db.session(), mail_id)
    return render_template("mail/dev_show.html", mail=mail, parts=segments(mail.text))
