"""Display times: stored in UTC, shown in the province's zone (Asia/Ho_Chi_Minh)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(zone()) if value is not None else None


def fmt_datetime(value: datetime | None) -> str:
    v = local(value)
    return v.strftime("%H:%M %d/%m/%Y") if v else ""


def fmt_date(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()  # type: ignore[union-attr]
    return value.strftime("%d/%m/%Y")


def today_local() -> date:
    from .db import utcnow

    return utcnow().astimezone(zone()).date()
