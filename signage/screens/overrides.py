"""Emergency overrides: an urgent slide over every loop on the targeted screens.

The province admin or the association publishes one to every screen, a ward, a tag
(a group of screens) or one organisation's screens, from now until an end time or a
cancel. Players ask for it on a short path of its own (``/play/api/alert``), much
more often than the manifest, and a player that was offline asks as it comes back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from .. import geo
from ..accounts.models import Organisation
from ..db import utcnow
from ..errors import N_, Invalid
from .models import Override, OverrideTarget, Screen
from .screen import SIZES, SlideSpec, fits

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL = re.compile(r"^https?://[^\s<>\"']{3,490}$")
MAX_HOURS = 7 * 24


@dataclass
class OverrideData:
    target: OverrideTarget
    target_value: str = ""
    title: str = ""
    body: str = ""
    background: str = "#c00000"
    foreground: str = "#ffffff"
    qr_url: str = ""
    ends_at: datetime | None = None
    until_cancelled: bool = False

    def check(self, now: datetime) -> None:
        if not (self.title or self.body):
            raise Invalid("Hãy nhập tiêu đề hoặc nội dung thông báo.", field="title")
        if len(self.title) > 200:
            raise Invalid("Tiêu đề tối đa 200 ký tự.", field="title")
        if len(self.body) > 1000:
            raise Invalid("Nội dung tối đa 1000 ký tự.", field="body")
        for name in ("background", "foreground"):
            if not _COLOUR.match(getattr(self, name)):
                raise Invalid("Màu có dạng #RRGGBB.", field=name)
        if self.qr_url and not _URL.match(self.qr_url):
            raise Invalid("Địa chỉ cần bắt đầu bằng https://", field="qr_url")
        if self.ends_at is None and not self.until_cancelled:
            raise Invalid(
                "Hãy chọn giờ kết thúc, hoặc đánh dấu “Cho đến khi huỷ”.",
                field="ends_at",
            )
        if self.ends_at is not None:
            if self.ends_at <= now:
                raise Invalid("Giờ kết thúc đã qua.", field="ends_at")
            if self.ends_at > now + timedelta(hours=MAX_HOURS):
                raise Invalid(
                    "Tối đa 7 ngày; dài hơn hãy dùng vòng chiếu.", field="ends_at"
                )
        if self.target is OverrideTarget.WARD and (
            not self.target_value.isdigit() or geo.ward(int(self.target_value)) is None
        ):
            raise Invalid("Hãy chọn phường/xã.", field="ward")
        if self.target is OverrideTarget.TAG and not self.target_value:
            raise Invalid("Hãy nhập nhãn của nhóm màn hình.", field="tag")
        if self.target is OverrideTarget.TAG and " " in self.target_value:
            raise Invalid(
                "Nhập một nhãn (một nhóm màn hình); gửi thêm thông báo cho nhóm khác.",
                field="tag",
            )


def _targeted(data: OverrideData | Override) -> ColumnElement[bool]:
    """The SQL condition for the screens an override reaches."""
    alive = Screen.revoked_at.is_(None)
    value = data.target_value
    if data.target is OverrideTarget.WARD:
        return alive & (Screen.ward_code == int(value))
    if data.target is OverrideTarget.TAG:
        return alive & Screen.tags.contains(f" {value} ", autoescape=True)
    if data.target is OverrideTarget.ORGANISATION:
        return alive & (Screen.organisation_id == int(value))
    return alive


def reach(session: Session, data: OverrideData | Override) -> int:
    """How many (unrevoked) screens the override reaches."""
    return int(
        session.scalar(select(func.count()).select_from(Screen).where(_targeted(data)))
        or 0
    )


def create(session: Session, data: OverrideData, user_id: int | None) -> Override:
    """Publish now. Refuses a target that reaches no screen (an emptied group, a ward
    without screens): an urgent notice that nobody sees must not look sent."""
    now = utcnow()
    if data.target is OverrideTarget.ORGANISATION and (
        not data.target_value.isdigit()
        or session.get(Organisation, int(data.target_value)) is None
    ):
        raise Invalid("Hãy chọn tổ chức.", field="organisation")
    data.check(now)
    if reach(session, data) == 0:
        raise Invalid(
            "Không có màn hình nào trong phạm vi này (nhóm trống hoặc chưa ghép "
            "màn hình). Thông báo chưa được gửi.",
            field="target",
        )
    bad = overflowing(session, data)
    if bad:
        raise Invalid(
            N_(
                "Chữ không vừa ở %(sizes)s: màn hình sẽ cắt bớt thông báo. Hãy rút "
                "ngắn tiêu đề hoặc nội dung. Thông báo chưa được gửi."
            ),
            field="body",
            params={"sizes": ", ".join(x.replace("x", "×") for x in bad)},
        )
    row = Override(
        target=data.target,
        target_value=data.target_value,
        title=data.title,
        body=data.body,
        background=data.background,
        foreground=data.foreground,
        qr_url=data.qr_url,
        starts_at=now,
        ends_at=data.ends_at,
        created_by=user_id,
    )
    session.add(row)
    session.flush()
    return row


def overflowing(session: Session, data: OverrideData) -> list[str]:
    """The sizes ("1080x1920") at which the override's text would be cut: the
    standard sizes and those of every screen it reaches (an urgent notice is never
    cut silently either)."""
    found = session.execute(
        select(Screen.width, Screen.height).where(_targeted(data)).distinct()
    )
    sizes = list(SIZES.values())
    sizes += sorted({(w, h) for w, h in found} - set(sizes))
    spec = SlideSpec(
        kind="poster", title=data.title, body=data.body, qr_payload=data.qr_url
    )
    return [f"{w}x{h}" for w, h in sizes if not fits(spec, w, h)]


def cancel(session: Session, override: Override) -> None:
    if override.cancelled_at is None:
        override.cancelled_at = utcnow()
    session.flush()


def is_live(override: Override, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return override.cancelled_at is None and (
        override.ends_at is None or override.ends_at > now
    )


def listing(session: Session, limit: int = 50) -> list[Override]:
    return list(
        session.scalars(select(Override).order_by(Override.id.desc()).limit(limit))
    )


def for_screen(
    session: Session,
    organisation_id: int | None,
    ward_code: int | None,
    tags: str,
    now: datetime | None = None,
) -> Override | None:
    """The newest live override that reaches this screen (few are ever live, so
    they are matched here rather than in SQL)."""
    now = now or utcnow()
    live = session.scalars(
        select(Override)
        .where(
            Override.cancelled_at.is_(None),
            (Override.ends_at.is_(None)) | (Override.ends_at > now),
        )
        .order_by(Override.id.desc())
    )
    for row in live:
        value = row.target_value
        if (
            row.target is OverrideTarget.ALL
            or (row.target is OverrideTarget.WARD and str(ward_code) == value)
            or (row.target is OverrideTarget.TAG and f" {value} " in tags)
            or (
                row.target is OverrideTarget.ORGANISATION
                and str(organisation_id) == value
            )
        ):
            return row
    return None


def spec(override: Override) -> SlideSpec:
    return SlideSpec(
        kind="poster",
        title=override.title,
        body=override.body,
        background=override.background,
        foreground=override.foreground,
        qr_payload=override.qr_url,
    )
