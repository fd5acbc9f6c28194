"""A morning of demo check-ins for `make run` (idempotent; development only)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ..db import utcnow
from ..venues.models import Venue
from . import services
from .models import CheckIn

VISITORS = [
    ("Nguyễn Văn Hùng", "0905123456"),
    ("Trần Thị Mai", "0914234567"),
    ("H'Hen Niê", "0935345678"),
    ("Y Moan Ênuôl", "0376456789"),
    ("Lê Hoàng Phúc", "0987567890"),
    ("Phạm Thị Thu Hà", "0868678901"),
    ("Võ Minh Tuấn", "0799789012"),
    ("Đặng Ngọc Ánh", "0902890123"),
]


def load(session: Session, secret: str, venue_name: str = "Nhà hàng Cố Đô") -> int:
    """Add visits over the last hours at one demo venue, unless it has any."""
    venue = session.scalar(select(Venue).where(Venue.name == venue_name))
    if venue is None or session.scalar(
        select(exists().where(CheckIn.venue_id == venue.id))
    ):
        return 0
    now = utcnow()
    for i, (name, phone) in enumerate(VISITORS):
        services.check_in(
            session,
            venue,
            services.Visitor(name, phone).check(),
            submission_id=services.new_submission_id(),
            secret=secret,
            now=now - timedelta(minutes=25 * (len(VISITORS) - i)),
        )
    row = session.scalar(select(CheckIn).where(CheckIn.venue_id == venue.id).limit(1))
    if row is not None:
        services.add_feedback(session, row, "hygiene", "Cửa vào chưa có nước rửa tay.")
    session.flush()
    return len(VISITORS)
