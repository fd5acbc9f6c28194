"""Loop and slide rules: drafts, ordering, schedules, publishing immutable versions."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import qr
from ..accounts.models import Role, User
from ..db import utcnow
from ..errors import Invalid, NotFound
from ..venues.models import Venue
from .models import (
    ALL_WEEKDAYS,
    Loop,
    LoopVersion,
    Media,
    Screen,
    ScreenFeed,
    Slide,
    SlideKind,
)
from .renders import spec_from_snapshot
from .screen import SIZES, fits

NAME_MAX = 120
TITLE_MAX = 200
BODY_MAX = 1000
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_URL = re.compile(r"^https?://[^\s<>\"']{3,490}$")


def owner_of(user: User) -> int | None:
    """Loops belong to the editor's organisation; None is the province-wide pool."""
    return None if user.role is Role.ADMIN else user.organisation_id


def can_see(user: User, organisation_id: int | None) -> bool:
    return user.role is Role.ADMIN or organisation_id == user.organisation_id


def list_loops(session: Session, user: User) -> list[Loop]:
    q = select(Loop).order_by(Loop.name, Loop.id)
    if user.role is not Role.ADMIN:
        org = user.organisation_id
        q = q.where(
            Loop.organisation_id.is_(None)
            if org is None
            else Loop.organisation_id == org
        )
    return list(session.scalars(q))


def get_loop(session: Session, loop_id: int, user: User | None = None) -> Loop:
    loop = session.get(Loop, loop_id)
    if loop is None or (user is not None and not can_see(user, loop.organisation_id)):
        raise NotFound()
    return loop


def create_loop(session: Session, name: str, organisation_id: int | None) -> Loop:
    _check_name(name)
    loop = Loop(name=name, organisation_id=organisation_id)
    session.add(loop)
    session.flush()
    return loop


def rename_loop(session: Session, loop: Loop, name: str) -> None:
    _check_name(name)
    loop.name = name
    session.flush()


def _check_name(name: str) -> None:
    if not name:
        raise Invalid("Hãy nhập tên vòng chiếu.", field="name")
    if len(name) > NAME_MAX:
        raise Invalid(f"Tên tối đa {NAME_MAX} ký tự.", field="name")


# Slides --------------------------------------------------------------------------


@dataclass
class SlideData:
    kind: SlideKind
    title: str = ""
    body: str = ""
    background: str = "#0b5394"
    foreground: str = "#ffffff"
    media_id: int | None = None
    qr_url: str = ""
    qr_venue_id: int | None = None
    qr_caption: str = ""
    duration_ms: int = 10_000
    start_date: date | None = None
    end_date: date | None = None
    weekdays: int = ALL_WEEKDAYS
    window_start: int | None = None
    window_end: int | None = None
    enabled: bool = True
    limits: tuple[int, int] = field(default=(3_000, 3_600_000), repr=False)

    def check(self, *, image_pending: bool = False) -> None:
        """Raise Invalid for the first wrong field. ``image_pending``: a verified
        upload will become ``media_id`` once the rest is known to be valid."""
        lo, hi = self.limits
        if len(self.title) > TITLE_MAX:
            raise Invalid(f"Tiêu đề tối đa {TITLE_MAX} ký tự.", field="title")
        if len(self.body) > BODY_MAX:
            raise Invalid(f"Nội dung tối đa {BODY_MAX} ký tự.", field="body")
        for name in ("background", "foreground"):
            if not _COLOUR.match(getattr(self, name)):
                raise Invalid("Màu có dạng #RRGGBB.", field=name)
        if not lo <= self.duration_ms <= hi:
            raise Invalid(
                f"Thời lượng từ {_secs(lo)} đến {_secs(hi)} giây.",
                field="duration",
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise Invalid("Ngày kết thúc trước ngày bắt đầu.", field="end_date")
        if not 0 < self.weekdays <= ALL_WEEKDAYS:
            raise Invalid("Chọn ít nhất một ngày trong tuần.", field="weekdays")
        if (self.window_start is None) != (self.window_end is None):
            raise Invalid("Nhập cả giờ bắt đầu và giờ kết thúc.", field="window_end")
        if self.window_start is not None and self.window_start == self.window_end:
            raise Invalid("Giờ kết thúc phải khác giờ bắt đầu.", field="window_end")
        if self.qr_url and not _URL.match(self.qr_url):
            raise Invalid("Địa chỉ cần bắt đầu bằng https://", field="qr_url")
        if self.kind is SlideKind.IMAGE and self.media_id is None and not image_pending:
            raise Invalid("Hãy tải lên một ảnh.", field="image")
        if self.kind is SlideKind.VIDEO and self.media_id is None and not image_pending:
            raise Invalid("Hãy tải lên một video.", field="video")
        if self.kind is SlideKind.QR and not (self.qr_url or self.qr_venue_id):
            raise Invalid("Nhập địa chỉ hoặc chọn địa điểm cho mã QR.", field="qr_url")
        if self.kind is SlideKind.POSTER and not (self.title or self.body):
            raise Invalid("Hãy nhập tiêu đề hoặc nội dung.", field="title")


def _secs(ms: int) -> str:
    return f"{ms / 1000:g}"


def draft_fields(data: SlideData) -> dict[str, Any]:
    """A slide's columns from the form, for a preview that is never stored."""
    return _fields(data)


def _fields(data: SlideData) -> dict[str, Any]:
    out = dict(data.__dict__)
    out.pop("limits")
    return out


def add_slide(session: Session, loop: Loop, data: SlideData) -> Slide:
    data.check()
    last = session.scalar(
        select(func.max(Slide.position)).where(Slide.loop_id == loop.id)
    )
    slide = Slide(loop_id=loop.id, position=(last or 0) + 1, **_fields(data))
    session.add(slide)
    loop.updated_at = utcnow()
    session.flush()
    return slide


def update_slide(session: Session, slide: Slide, data: SlideData) -> None:
    data.check()
    for key, value in _fields(data).items():
        setattr(slide, key, value)
    slide.loop.updated_at = utcnow()
    session.flush()


def get_slide(session: Session, loop: Loop, slide_id: int) -> Slide:
    slide = session.get(Slide, slide_id)
    if slide is None or slide.loop_id != loop.id:
        raise NotFound()
    return slide


def delete_slide(session: Session, slide: Slide) -> None:
    session.delete(slide)
    session.flush()


def reorder(session: Session, loop: Loop, ids: list[int]) -> None:
    """Set the order to ``ids`` (every slide of the loop exactly once)."""
    slides = {s.id: s for s in loop.slides}
    if sorted(ids) != sorted(slides):
        raise Invalid("Danh sách trang chiếu đã thay đổi. Hãy tải lại trang.")
    for pos, slide_id in enumerate(ids, start=1):
        slides[slide_id].position = pos
    session.flush()
    session.expire(loop, ["slides"])


def move(session: Session, loop: Loop, slide: Slide, step: int) -> None:
    ids = [s.id for s in loop.slides]
    i = ids.index(slide.id)
    j = max(0, min(len(ids) - 1, i + step))
    ids[i], ids[j] = ids[j], ids[i]
    reorder(session, loop, ids)


# Publishing ----------------------------------------------------------------------


def qr_venue_id(session: Session, typed: str) -> int | None:
    """The venue whose board code was typed (case, dashes and spaces ignored); None
    for an empty field. Raises Invalid when no venue has the code."""
    token = "".join(ch for ch in typed.upper() if ch.isalnum())
    if not token:
        return None
    venue_id = session.scalar(select(Venue.id).where(Venue.token == token))
    if venue_id is None:
        raise Invalid("Không có địa điểm nào mang mã này.", field="qr_venue")
    return venue_id


def checkin_url(base_url: str, token: str) -> str:
    """The venue's check-in payload: the campaign's one QR policy (signage/qr.py)."""
    return qr.payload(base_url, token)


def typed_code_line(base_url: str, token: str) -> str:
    """The line under a check-in QR for people who cannot scan: where to type the
    board's code (the check-in site's /C page) and the code itself."""
    host = base_url.split("://", 1)[-1].rstrip("/")
    return f"Không quét được? Vào {host}/C, nhập mã {token}"


def slide_snapshot(
    session: Session, slide: Slide, base_url: str, strict: bool = False
) -> dict[str, Any]:
    """Everything a player and a renderer need, resolved (venue token, media file).

    ``strict`` (publishing) refuses a check-in QR whose venue is gone or inactive: a
    screen must never invite people to scan a code that answers "not in use".
    """
    payload, code = slide.qr_url, ""
    if slide.qr_venue_id is not None:
        venue = session.get(Venue, slide.qr_venue_id)
        if venue is not None and venue.active:
            payload = checkin_url(base_url, venue.token)
            code = typed_code_line(base_url, venue.token)
        elif strict:
            raise Invalid(
                f"Trang “{slide.title or slide.qr_caption or slide.id}”: địa điểm của "
                "mã QR đã tạm ngừng. Hãy chọn địa điểm khác hoặc tắt trang này."
            )
    media = session.get(Media, slide.media_id) if slide.media_id else None
    if slide.kind is SlideKind.VIDEO:
        if strict and (media is None or not media.ready):
            raise Invalid(
                f"Video “{slide.title or slide.id}” "
                + (
                    "chuyển mã không được. Hãy tải lên lại."
                    if media is not None and media.failed
                    else "đang được chuyển mã: phát hành khi xong (vài phút)."
                )
            )
        return {
            "id": slide.id,
            "kind": "video",
            "title": slide.title,
            "body": "",
            "background": slide.background,
            "foreground": slide.foreground,
            "image": "",
            "image_sha": "",
            "video": media.filename if media else "",
            "video_sha": media.sha256 if media else "",
            "qr": "",
            "qr_caption": "",
            "qr_code": "",
            "duration_ms": slide.duration_ms,
            "start_date": slide.start_date.isoformat() if slide.start_date else None,
            "end_date": slide.end_date.isoformat() if slide.end_date else None,
            "weekdays": slide.weekdays,
            "window": (
                [slide.window_start, slide.window_end]
                if slide.window_start is not None
                else None
            ),
        }
    return {
        "id": slide.id,
        "kind": slide.kind.value,
        "title": slide.title,
        "body": slide.body,
        "background": slide.background,
        "foreground": slide.foreground,
        "image": media.filename if media else "",
        "image_sha": media.sha256 if media else "",
        "qr": payload,
        "qr_caption": slide.qr_caption,
        "qr_code": code,
        "duration_ms": slide.duration_ms,
        "start_date": slide.start_date.isoformat() if slide.start_date else None,
        "end_date": slide.end_date.isoformat() if slide.end_date else None,
        "weekdays": slide.weekdays,
        "window": (
            [slide.window_start, slide.window_end]
            if slide.window_start is not None
            else None
        ),
    }


def overflowing(
    snap: dict[str, Any], sizes: list[tuple[int, int]], media: Path | None = None
) -> list[str]:
    """The sizes ("1080x1920") at which the slide's text would be cut."""
    spec = spec_from_snapshot(snap, media or Path("."))
    return [f"{w}x{h}" for w, h in sizes if not fits(spec, w, h)]


def sizes_for(session: Session, loop: Loop) -> list[tuple[int, int]]:
    """The standard sizes and those of every screen that plays the loop."""
    own = select(Screen.width, Screen.height).where(
        Screen.revoked_at.is_(None),
        (Screen.loop_id == loop.id)
        | Screen.id.in_(
            select(ScreenFeed.screen_id).where(ScreenFeed.loop_id == loop.id)
        ),
    )
    found = {(w, h) for w, h in session.execute(own).all()}
    return list(SIZES.values()) + sorted(found - set(SIZES.values()))


def publish(
    session: Session,
    loop: Loop,
    base_url: str,
    user_id: int | None = None,
    media: Path | None = None,
) -> LoopVersion:
    """Freeze the enabled slides into a new immutable version (numbered, hashed).

    Refuses (Invalid, naming the slides and sizes) when any slide's text would be
    cut at a standard size or at the size of a screen that plays the loop."""
    slides = [
        slide_snapshot(session, s, base_url, strict=True)
        for s in loop.slides
        if s.enabled
    ]
    if not slides:
        raise Invalid("Vòng chiếu chưa có trang nào đang bật để phát hành.")
    sizes = sizes_for(session, loop)
    failing = [
        f"“{snap['title'] or snap['qr_caption'] or snap['id']}” "
        f"({', '.join(x.replace('x', '×') for x in bad)})"
        for snap in slides
        if (bad := overflowing(snap, sizes, media))
    ]
    if failing:
        raise Invalid(
            "Chưa phát hành: chữ không vừa và sẽ bị cắt ở trang "
            + "; ".join(failing)
            + ". Hãy rút ngắn nội dung (hoặc tắt trang đó)."
        )
    body = json.dumps({"slides": slides}, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    version = LoopVersion(
        loop_id=loop.id,
        number=loop.version + 1,
        hash=digest,
        snapshot=body,
        published_by=user_id,
    )
    session.add(version)
    loop.version = version.number
    loop.version_hash = digest
    session.flush()
    return version


def current_version(session: Session, loop: Loop) -> LoopVersion | None:
    if not loop.version:
        return None
    return session.scalar(
        select(LoopVersion).where(
            LoopVersion.loop_id == loop.id, LoopVersion.number == loop.version
        )
    )


def draft_changed(session: Session, loop: Loop, base_url: str) -> bool:
    """True when the draft differs from the published version (or none exists)."""
    version = current_version(session, loop)
    if version is None:
        return True
    slides = [slide_snapshot(session, s, base_url) for s in loop.slides if s.enabled]
    return slides != version.slides


def follow_rotated_token(
    session: Session, old_token: str, new_token: str, base_url: str
) -> int:
    """A venue's board was replaced (token rotated): every loop whose *published*
    version shows the old check-in code gets a new version with the new code, and
    nothing else changed (draft edits stay drafts). Screens pick it up at their next
    poll instead of inviting people to scan a code that answers "replaced".
    Returns how many loops were re-issued."""
    old, new = checkin_url(base_url, old_token), checkin_url(base_url, new_token)
    current = (
        select(LoopVersion, Loop)
        .join(
            Loop,
            (Loop.id == LoopVersion.loop_id) & (Loop.version == LoopVersion.number),
        )
        .where(LoopVersion.snapshot.contains(old))
    )
    count = 0
    for version, loop in session.execute(current).all():
        data = json.loads(version.snapshot)
        for slide in data["slides"]:
            if slide.get("qr") == old:
                slide["qr"] = new
                if slide.get("qr_code"):
                    slide["qr_code"] = typed_code_line(base_url, new_token)
        body = json.dumps(data, ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        session.add(
            LoopVersion(
                loop_id=loop.id,
                number=loop.version + 1,
                hash=digest,
                snapshot=body,
                published_by=version.published_by,
            )
        )
        loop.version += 1
        loop.version_hash = digest
        count += 1
    session.flush()
    return count
