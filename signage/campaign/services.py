"""Campaign identity rules: what is in force, what is still a placeholder, saving.

One row in ``campaign_settings`` holds what the province typed; an empty field falls
back to the deployment's ``CAMPAIGN_*`` setting (when the caller passes the config)
and then to the shipped default below. Shipped defaults are placeholders: fine on a
developer's machine, refused on printed boards in production (:func:`Identity.missing`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from .. import fonts
from ..errors import N_, Invalid
from ..text import clean_text
from .models import SINGLETON, CampaignSettings

# The shipped values: placeholders until the province sets its own.
PLACEHOLDER_AUTHORITY = "UBND tỉnh / thành phố"
DEFAULT_TITLE = "MÃ QR THÔNG TIN PHẢN HỒI"
DEFAULT_COLOR, DEFAULT_ACCENT = "#0b5394", "#b3261e"
DEFAULT_PRIVACY = "Tôi đồng ý cung cấp thông tin trên cho mục đích của chiến dịch."
DEFAULT_PRIVACY_EN = "I agree to give the details above for the campaign's purpose."
DEFAULT_RETENTION = (
    "Thông tin của bạn chỉ dùng cho mục đích trên, chỉ cơ quan có thẩm quyền và người "
    "quản lý địa điểm được xem, và tự động bị xoá sau {days} ngày."
)
DEFAULT_RETENTION_EN = (
    "Your details are used for this purpose only, seen only by the authorities and "
    "the venue's manager, and deleted automatically after {days} days."
)

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_PHONE = re.compile(r"^[0-9 +().-]{3,40}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """The campaign as every page and board shows it (plain data, hashable)."""

    authority: str = PLACEHOLDER_AUTHORITY
    title: str = DEFAULT_TITLE
    color: str = DEFAULT_COLOR
    accent: str = DEFAULT_ACCENT
    logo_key: str | None = None
    app_name: str = ""
    app_url: str = ""
    alt_staff: str = ""
    hotline: str = ""
    zalo: str = ""
    english: str = ""
    privacy: str = DEFAULT_PRIVACY
    privacy_en: str = DEFAULT_PRIVACY_EN
    retention: str = DEFAULT_RETENTION
    retention_en: str = DEFAULT_RETENTION_EN
    start: date | None = None
    deadline: date | None = None

    def missing(self) -> list[str]:
        """What production still needs set before boards may be printed, as the
        names of the settings page's fields (Vietnamese), in the page's order."""
        out = []
        if not self.authority or self.authority == PLACEHOLDER_AUTHORITY:
            out.append("Cơ quan chủ trì")
        if not self.logo_key:
            out.append("Logo")
        if not (self.app_name and self.app_url):
            out.append("Ứng dụng của thành phố (tên và đường dẫn cài đặt)")
        if not (self.alt_staff or self.hotline or self.zalo):
            out.append("Cách khai báo khi không có điện thoại thông minh")
        if self.privacy == DEFAULT_PRIVACY:
            out.append("Dòng đồng ý (mục đích thu thập)")
        return out

    def alternative(self) -> str:
        """The no-smartphone line: staff, hotline, Zalo, whichever are set."""
        parts = [self.alt_staff] if self.alt_staff else []
        if self.hotline:
            parts.append(f"Đường dây nóng {self.hotline}")
        if self.zalo:
            parts.append(f"Zalo {self.zalo}")
        return " · ".join(parts)

    def retention_text(self, days: int, english: bool = False) -> str:
        text = self.retention_en if english else self.retention
        return text.replace("{days}", str(days))


_TEXT_FIELDS = (
    "authority",
    "title",
    "app_name",
    "alt_staff",
    "zalo",
    "english",
    "privacy",
    "privacy_en",
    "retention",
    "retention_en",
)
_LIMITS = {
    "authority": 160,
    "title": 160,
    "app_name": 60,
    "app_url": 300,
    "alt_staff": 200,
    "hotline": 40,
    "zalo": 120,
    "english": 200,
    "privacy": 300,
    "privacy_en": 300,
    "retention": 300,
    "retention_en": 300,
}

FORM_FIELDS = (*_LIMITS, "color", "accent", "start", "deadline")
DATE_FIELDS = ("start", "deadline")


def _fallback(config: Mapping[str, Any] | None) -> Identity:
    """The shipped defaults, overridden by the deployment's CAMPAIGN_* settings."""
    if not config:
        return Identity()
    dates: dict[str, date | None] = {}
    for name in DATE_FIELDS:
        raw = str(config.get(f"CAMPAIGN_{name.upper()}") or "")
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[name] = None
    return Identity(
        authority=str(config.get("CAMPAIGN_AUTHORITY") or PLACEHOLDER_AUTHORITY),
        title=str(config.get("CAMPAIGN_TITLE") or DEFAULT_TITLE),
        color=str(config.get("CAMPAIGN_PRIMARY_COLOR") or DEFAULT_COLOR),
        accent=str(config.get("CAMPAIGN_ACCENT_COLOR") or DEFAULT_ACCENT),
        start=dates["start"],
        deadline=dates["deadline"],
    )


def current(
    session: Session | Connection, config: Mapping[str, Any] | None = None
) -> Identity:
    """The identity in force: the saved settings, each empty field falling back to
    ``config``'s CAMPAIGN_* value and then to the shipped default. One query."""
    base = _fallback(config)
    cols = [getattr(CampaignSettings, f.name) for f in fields(Identity)]
    row = (
        session.execute(select(*cols).where(CampaignSettings.id == SINGLETON))
        .mappings()
        .first()
    )
    if row is None:
        return base
    return replace(base, **{k: v for k, v in row.items() if v not in (None, "")})


def current_or_fallback(config: Mapping[str, Any] | None) -> Identity:
    """The configured identity without reading the database (an error page)."""
    return _fallback(config)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""

    def lum(h: str) -> float:
        def ch(v: int) -> float:
            c = v / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, bl = (int(h[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(bl)

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values checked and normalised (NFC, no invisible characters).

    Raises Invalid (with the field) for a bad colour, link, phone, date or a
    character the board's font cannot print.
    """
    out: dict[str, Any] = {}
    for name, limit in _LIMITS.items():
        value = clean_text(data.get(name, ""))
        if len(value) > limit:
            raise Invalid(
                "Tối đa %(limit)s ký tự.", field=name, params={"limit": limit}
            )
        out[name] = value
    for name in _TEXT_FIELDS:
        lacking = fonts.missing_glyphs(out[name])
        if lacking:
            raise Invalid(
                "Phông chữ của bảng không in được: %(chars)s",
                field=name,
                params={"chars": " ".join(sorted(lacking))},
            )
    for name, white_text in (("color", True), ("accent", False)):
        value = clean_text(data.get(name, "")).lower()
        if value and not _HEX.match(value):
            raise Invalid("Màu phải có dạng #rrggbb.", field=name)
        if value and contrast(value, "#ffffff") < 4.5:
            raise Invalid(
                N_("Màu quá nhạt: chữ trắng trên màu này khó đọc (cần ≥ 4,5:1).")
                if white_text
                else N_(
                    "Màu quá nhạt: chữ màu này trên nền trắng khó đọc (cần ≥ 4,5:1)."
                ),
                field=name,
            )
        out[name] = value
    if out["app_url"] and not _URL.match(out["app_url"]):
        raise Invalid("Đường dẫn phải bắt đầu bằng https://", field="app_url")
    if bool(out["app_name"]) != bool(out["app_url"]):
        field = "app_url" if out["app_name"] else "app_name"
        raise Invalid("Hãy điền cả tên ứng dụng và đường dẫn cài đặt.", field=field)
    if out["hotline"] and not _PHONE.match(out["hotline"]):
        raise Invalid("Số đường dây nóng không hợp lệ.", field="hotline")
    for name in ("retention", "retention_en"):
        if out[name] and "{days}" not in out[name]:
            raise Invalid(
                "Hãy giữ {days} ở chỗ số ngày lưu trữ (hệ thống tự điền).", field=name
            )
    for name in DATE_FIELDS:
        raw = clean_text(data.get(name, ""))
        out[name] = None
        if raw:
            try:
                out[name] = date.fromisoformat(raw)
            except ValueError as e:
                raise Invalid("Ngày phải có dạng YYYY-MM-DD.", field=name) from e
    if out["start"] and out["deadline"] and out["start"] > out["deadline"]:
        raise Invalid("Ngày bắt đầu phải trước hạn hoàn thành.", field="start")
    return out


def save(
    session: Session,
    values: Mapping[str, Any],
    *,
    logo_key: str | None = None,
    remove_logo: bool = False,
    user_id: int | None = None,
) -> CampaignSettings:
    """Store cleaned values (see :func:`clean`); a new ``logo_key`` replaces the
    logo, ``remove_logo`` goes back to the bundled one. Flushed."""
    row = session.get(CampaignSettings, SINGLETON)
    if row is None:
        row = CampaignSettings(id=SINGLETON)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    if logo_key:
        row.logo_key = logo_key
    elif remove_logo:
        row.logo_key = None
    row.updated_by = user_id
    session.flush()
    return row


def preview(base: Identity, values: Mapping[str, Any]) -> Identity:
    """What the identity would be with ``values`` (cleaned) saved: for the preview."""
    return replace(base, **{k: v for k, v in values.items() if v not in (None, "")})
