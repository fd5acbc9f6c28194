"""The province admin's queue of data-subject requests (`/privacy/requests`):
record a request, find what its phone number has, erase it all or refuse, each step
audited. Pages are never cached (they show where a person was)."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from .. import db, timefmt
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import N_, DomainError, Invalid, NotFound
from ..forms import apply_domain_error
from . import services
from .forms import RefuseForm, RequestForm
from .models import ErasureRequest, RequestState

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _ip() -> str:
    return request.remote_addr or ""


def _queue_page(form: RequestForm, status: int = 200) -> Any:
    today = timefmt.today_local()
    return render_template(
        "privacy/queue.html",
        requests=services.queue(db.session(), today),
        form=form,
        today=today,
        OPEN=RequestState.OPEN,
    ), status


@bp.get("/requests")
@roles_required(Role.ADMIN)
def queue() -> Any:
    form = RequestForm(formdata=None)
    form.received_on.data = timefmt.today_local()
    return _queue_page(form)


@bp.post("/requests")
@roles_required(Role.ADMIN)
def create() -> Any:
    form = RequestForm()
    if not form.validate_on_submit():
        return _queue_page(form, 422)
    try:
        req = services.create(
            db.session(),
            phone_raw=form.phone.data or "",
            received_on=form.received_on.data,
            note=form.note.data or "",
            due_days=int(current_app.config["ERASURE_DUE_DAYS"]),
            user_id=current_user.id,
            today=timefmt.today_local(),
            secret=current_app.config["SECRET_KEY"],
            ip=_ip(),
        )
    except DomainError as e:
        apply_domain_error(form, e.field, e.translated())
        return _queue_page(form, 422)
    return redirect(url_for("privacy.show", request_id=req.id), 303)


def _request_or_404(request_id: int) -> ErasureRequest:
    try:
        return services.get(db.session(), request_id)
    except NotFound:
        abort(404)


def _show(req: ErasureRequest, refuse: RefuseForm) -> Any:
    """Only for the GET: its find step's audit row commits with it (a refused POST
    rolls back, so it redirects here instead of showing what was found)."""
    s = db.session()
    found = None
    if req.state is RequestState.OPEN:
        found = services.find(
            s,
            req,
            secret=current_app.config["SECRET_KEY"],
            user_id=current_user.id,
            ip=_ip(),
        )
    outcome = {}
    if req.state is RequestState.ERASED and req.outcome:
        outcome = json.loads(req.outcome)
    return render_template(
        "privacy/request.html",
        req=req,
        found=found,
        outcome=outcome,
        refuse=refuse,
        today=timefmt.today_local(),
        OPEN=RequestState.OPEN,
        ERASED=RequestState.ERASED,
    )


@bp.get("/requests/<int:request_id>")
@roles_required(Role.ADMIN)
@db.writes
def show(request_id: int) -> Any:
    """The request; while open, what its number has (the find step, audited)."""
    return _show(_request_or_404(request_id), RefuseForm(formdata=None))


@bp.post("/requests/<int:request_id>/erase")
@roles_required(Role.ADMIN)
def erase(request_id: int) -> Any:
    req = _request_or_404(request_id)
    try:
        counts = services.erase(
            db.session(),
            req,
            secret=current_app.config["SECRET_KEY"],
            user_id=current_user.id,
            ip=_ip(),
        )
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("privacy.show", request_id=req.id), 303)
    flash(
        _(
            "Đã xoá %(c)s lượt khai báo, %(f)s phản hồi, %(k)s thẻ QR.",
            c=counts["checkins"],
            f=counts["feedback"],
            k=counts["cards"],
        ),
        "success",
    )
    return redirect(url_for("privacy.show", request_id=req.id), 303)


@bp.post("/requests/<int:request_id>/refuse")
@roles_required(Role.ADMIN)
def refuse(request_id: int) -> Any:
    req = _request_or_404(request_id)
    form = RefuseForm()
    try:
        if not form.validate():
            raise Invalid(N_("Hãy ghi lý do (5 đến 300 ký tự)."), field="reason")
        services.refuse(
            db.session(),
            req,
            reason=form.reason.data or "",
            user_id=current_user.id,
            ip=_ip(),
        )
    except DomainError as e:
        flash(e.translated(), "error")
    return redirect(url_for("privacy.show", request_id=req.id), 303)
