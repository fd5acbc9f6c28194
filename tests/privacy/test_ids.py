"""Ids of personal rows are never reused after a purge or a deletion (migrations
0410_rollups and 0901_personal_ids on SQLite; sequences on PostgreSQL): an audit
row naming "checkin:7" or "card:7" names one person for ever."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select

from signage.cards.models import PersonalCard
from signage.checkin import services as checkins
from signage.checkin.models import CheckIn, Feedback, FeedbackCategory
from signage.db import utcnow
from signage.privacy.models import ErasureRequest, RequestState


def _card():
    return PersonalCard(
        code=secrets.token_hex(8).upper(),
        name="Nguyễn Văn A",
        phone="+84901234567",
        phone_hash="h" * 64,
        last_used_at=utcnow(),
    )


def test_ids_are_not_reused_after_the_newest_rows_are_deleted(session, make_venue):
    venue = make_venue()

    def new_checkin():
        ref = checkins.check_in(
            session,
            venue,
            checkins.Visitor("Nguyễn Văn A", f"+8490{secrets.randbelow(10**7):07d}"),
            submission_id=checkins.new_submission_id(),
            secret="x",
        ).public_ref
        return session.scalar(select(CheckIn.id).where(CheckIn.public_ref == ref))

    anchor = new_checkin()

    def new_feedback():
        fb = Feedback(
            venue_id=venue.id,
            checkin_id=anchor,
            category=FeedbackCategory.OTHER,
            message="ý kiến",
        )
        session.add(fb)
        session.flush()
        return fb.id

    def new_card():
        card = _card()
        session.add(card)
        session.flush()
        return card.id

    def new_request():
        req = ErasureRequest(
            received_on=utcnow().date(),
            due_on=utcnow().date() + timedelta(days=20),
            state=RequestState.OPEN,
            phone="+84901234567",
            phone_masked="090•••4567",
            note="",
            outcome="",
        )
        session.add(req)
        session.flush()
        return req.id

    makers = {
        CheckIn: new_checkin,
        Feedback: new_feedback,
        PersonalCard: new_card,
        ErasureRequest: new_request,
    }
    for model, make in makers.items():
        make()
        newest = make()
        session.execute(delete(model).where(model.id == newest))
        assert session.scalar(select(func.max(model.id))) < newest
        again = make()
        assert again > newest, f"{model.__tablename__} reused id {newest}"
