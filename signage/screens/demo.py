"""Demo campaign loop for `make run`: install the app, the Ministry of Health's 5K,
a venue's check-in QR; published and offered as a campaign feed, so a screen paired
to it (or subscribed to it) plays at once.
Idempotent (by loop name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..venues.models import Venue
from . import services
from .models import Loop, SlideKind

LOOP_NAME = "Chiến dịch mã QR – màn hình sảnh"


def load(session: Session, base_url: str) -> Loop:
    loop = session.scalar(select(Loop).where(Loop.name == LOOP_NAME))
    if loop is not None:
        return loop
    loop = services.create_loop(session, LOOP_NAME, None)
    venue = session.scalar(select(Venue).order_by(Venue.id).limit(1))
    slides = [
        services.SlideData(
            SlideKind.POSTER,
            title="Cài ứng dụng Hue-S",
            body="Quét mã để cài ứng dụng công dân số: phản ánh hiện trường, "
            "khai báo y tế, tra cứu dịch vụ công mọi lúc, mọi nơi.",
            qr_url="https://hues.thuathienhue.gov.vn",
            qr_caption="hues.thuathienhue.gov.vn",
            duration_ms=12_000,
        ),
        services.SlideData(
            SlideKind.POSTER,
            title="Thực hiện 5K",
            # The Ministry of Health's message, word for word.
            body="Khẩu trang – Khử khuẩn – Khoảng cách – Không tập trung – "
            "Khai báo y tế",
            background="#b3261e",
            duration_ms=10_000,
        ),
    ]
    if venue is not None:
        slides.append(
            services.SlideData(
                SlideKind.QR,
                title="Quét mã khi vào cửa",
                qr_venue_id=venue.id,
                qr_caption=venue.name,
                duration_ms=15_000,
            )
        )
    for data in slides:
        services.add_slide(session, loop, data)
    session.expire(loop, ["slides"])
    services.publish(session, loop, base_url)
    # Offered province-wide: a business pairing its own screen in the demo finds
    # the campaign feed ticked on the pairing form, as it would in production.
    loop.feed = True
    session.flush()
    return loop
