"""Data-subject requests: record, find, erase or refuse; every step audited.

The queue puts open requests first, overdue ones at the top, then by due date. A
request holds its phone number only while open. Finding lists where and when the
number checked in (no names) and how many cards, feedback and other entries
(rosters, through :mod:`signals`) it has; erasing deletes them all in the one
transaction and closes the request, which then keeps only its mask.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from .. import audit
from ..cards import services as cards
from ..checkin import erasure as checkins
from ..checkin import people
from ..db import utcnow
from ..errors import N_, Conflict, Invalid, NotFound
from .models import ErasureRequest, RequestState
from .signals import subject_erase, subject_find

NOTE_MAX = 300


def create(
    session: Session,
    *,
    phone_raw: str,
    received_on: date,
    note: str,
    due_days: int,
    user_id: int,
    today: date,
    secret: str,
    ip: str = "",
) -> ErasureRequest:
    """Record a request received on ``received_on`` (not in the future, not more
    than a year back); raises Invalid with the field at fault, Conflict when the
    number already has an open request (found by its keyed hash: the number itself
    is encrypted)."""
    phone = people.clean_phone(phone_raw)
    digest = people.phone_hash(secret, phone)
    if received_on > today:
        raise Invalid(N_("Ngày nhận không được ở tương lai."), field="received_on")
    if received_on < today - timedelta(days=366):
        raise Invalid(N_("Ngày nhận quá xa (hơn một năm)."), field="received_on")
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise Invalid(N_("Ghi chú tối đa 300 ký tự."), field="note")
    twin = session.scalar(
        select(ErasureRequest.id).where(
            ErasureRequest.phone_hash == digest,
            ErasureRequest.state == RequestState.OPEN,
        )
    )
    if twin is not None:
        raise Conflict(
            N_("Số điện thoại này đã có một yêu cầu đang mở: hãy xử lý yêu cầu đó."),
            field="phone",
        )
    req = ErasureRequest(
        received_on=received_on,
        due_on=received_on + timedelta(days=due_days),
        state=RequestState.OPEN,
        phone=phone,
        phone_hash=digest,
        phone_masked=people.mask(phone),
        note=note,
        created_by=user_id,
        outcome="",
    )
    session.add(req)
    session.flush()
    _audit(session, req, "privacy.request.create", user_id, ip, {"due_on": req.due_on})
    return req


def queue(session: Session, today: date, *, closed: int = 50) -> list[ErasureRequest]:
    """Open requests, overdue first then by due date; then the latest closed."""
    overdue = case((ErasureRequest.due_on < today, 0), else_=1)
    open_ = session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.state == RequestState.OPEN)
        .order_by(overdue, ErasureRequest.due_on, ErasureRequest.id)
    ).all()
    done = session.scalars(
        select(ErasureRequest)
        .where(ErasureRequest.state != RequestState.OPEN)
        .order_by(ErasureRequest.closed_at.desc(), ErasureRequest.id.desc())
        .limit(closed)
    ).all()
    return [*open_, *done]


def get(session: Session, request_id: int) -> ErasureRequest:
    req = session.get(ErasureRequest, request_id)
    if req is None:
        raise NotFound(N_("Không có yêu cầu này."))
    return req


@dataclass
class Found:
    visits: list[checkins.Visit]
    cards: int
    others: list[tuple[str, int]] = field(default_factory=list)

    @property
    def feedback(self) -> int:
        return sum(v.feedback for v in self.visits)

    @property
    def empty(self) -> bool:
        return (
            not self.visits and not self.cards and not any(n for _l, n in self.others)
        )


def find(
    session: Session, req: ErasureRequest, *, secret: str, user_id: int, ip: str = ""
) -> Found:
    """What the request's number has, without deleting anything (audited: staff
    sees where and when a person was)."""
    phone = _open_phone(req)
    found = Found(
        visits=checkins.find_by_phone(session, phone, secret=secret),
        cards=cards.find_by_phone(session, phone, secret=secret),
        others=_answers(subject_find.send(session, phone=phone, secret=secret)),
    )
    _audit(
        session,
        req,
        "privacy.request.find",
        user_id,
        ip,
        {
            "checkins": len(found.visits),
            "feedback": found.feedback,
            "cards": found.cards,
            **dict(found.others),
        },
    )
    return found


def erase(
    session: Session, req: ErasureRequest, *, secret: str, user_id: int, ip: str = ""
) -> dict[str, int]:
    """Delete everything of the request's number and close it (audited with the
    counts); the number is cleared from the request."""
    phone = _open_phone(req)
    done = checkins.erase_by_phone(session, phone, secret=secret)
    counts = {
        "checkins": done.checkins,
        "feedback": done.feedback,
        "cards": cards.erase_by_phone(session, phone, secret=secret),
    }
    for label, n in _answers(subject_erase.send(session, phone=phone, secret=secret)):
        counts[label] = n
    _close(req, RequestState.ERASED, user_id, json.dumps(counts, ensure_ascii=False))
    session.flush()
    _audit(session, req, "privacy.request.erase", user_id, ip, dict(counts))
    return counts


def refuse(
    session: Session, req: ErasureRequest, *, reason: str, user_id: int, ip: str = ""
) -> None:
    """Close without deleting (not the person's number, a duplicate...): the reason
    is required and recorded."""
    _open_phone(req)
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= NOTE_MAX:
        raise Invalid(N_("Hãy ghi lý do (5 đến 300 ký tự)."), field="reason")
    _close(req, RequestState.REFUSED, user_id, reason)
    session.flush()
    _audit(session, req, "privacy.request.refuse", user_id, ip, {}, reason=reason)


def _open_phone(req: ErasureRequest) -> str:
    if req.state is not RequestState.OPEN or not req.phone:
        raise Conflict(N_("Yêu cầu này đã đóng."))
    return req.phone


def _close(
    req: ErasureRequest, state: RequestState, user_id: int, outcome: str
) -> None:
    req.state = state
    req.phone = None  # the ciphertext goes too: nothing of the number but its mask
    req.phone_hash = None
    req.closed_at = utcnow()
    req.closed_by = user_id
    req.outcome = outcome


def _answers(replies: Sequence[tuple[Any, Any]]) -> list[tuple[str, int]]:
    """Receivers' (label, count) answers; None means "nothing of mine"."""
    out = []
    for _receiver, answer in replies:
        if answer is not None:
            label, n = answer
            out.append((str(label), int(n)))
    return out


def _audit(
    session: Session,
    req: ErasureRequest,
    action: str,
    user_id: int,
    ip: str,
    detail: dict[str, Any],
    reason: str = "",
) -> None:
    # The row names the request, never the number (nor its mask: a mask and a
    # venue can be enough to recognise someone).
    audit.record(
        session,
        user_id=user_id,
        action=action,
        target=f"erasure_request:{req.id}",
        reason=reason,
        ip=ip,
        **detail,
    )
