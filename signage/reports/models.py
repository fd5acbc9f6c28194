"""What each organisation reports to the Department: its staff, how many of them
installed the city app, where the QR board is posted and which screens run posters.
The latest report of an organisation is the one counted; earlier ones are history."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, created_ts, intpk


class OrgReport(Base):
    __tablename__ = "org_reports"

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    staff_total: Mapped[int]
    staff_with_app: Mapped[int]
    boards_posted: Mapped[int]  # places where the printed board is up
    screens_running: Mapped[int]  # screens (lobby, elevator) showing the e-posters
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_ts]

    __table_args__ = (
        Index("ix_org_reports_org_created", "organisation_id", "created_at"),
    )
