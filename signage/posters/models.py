"""Board downloads: one row per venue board produced (the deployment report's count)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, created_ts, intpk


class BoardDownload(Base):
    """A board (or bare QR) produced for a venue, by whom, when, in which format.

    A batch download writes one row per venue. ``organisation_id`` repeats the venue's
    organisation so reports count per organisation without joining venues.
    """

    __tablename__ = "board_downloads"

    id: Mapped[intpk]
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    # a4 / a3 / a5 (boards), png / svg (bare QR)
    size: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # True when the row came from a whole-organisation batch.
    batch: Mapped[bool] = mapped_column(default=False)
    # True when the PDF was opened to look at (the "Xem trước" link), not saved for
    # print: previews are logged but the reports do not count them as produced.
    preview: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[created_ts]

    __table_args__ = (
        Index("ix_board_downloads_venue_id_created_at", "venue_id", "created_at"),
        Index(
            "ix_board_downloads_organisation_id_created_at",
            "organisation_id",
            "created_at",
        ),
    )
