"""Display times: stored in UTC, shown in the configured zone (BABEL_DEFAULT_TIMEZONE,
Asia/Ho_Chi_Minh) in the page's language, through Flask-Babel.

Vietnamese pages write dates as Vietnamese offices do, day first with leading zeros
and a 24-hour clock (``21:07 05/03/2026``); Babel's own short form for ``vi`` is
``5/3/26``, so Vietnamese has its patterns here. Every other language gets its CLDR
forms from Babel (English: ``Mar 5, 2026, 9:07 PM``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, get_datetime_format
from flask import current_app
from flask_babel import format_date, format_datetime, format_time, get_locale

_VI = {
    "datetime": "HH:mm dd/MM/yyyy",
    "date": "dd/MM/yyyy",
    "time": "HH:mm",
    "day_month": "dd/MM",
}


def zone() -> ZoneInfo:
    """The display zone, for arithmetic on local days (the one Flask-Babel uses)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _vi_pattern(kind: str) -> str | None:
    """The Vietnamese pattern for ``kind`` on a Vietnamese page, else None."""
    locale = get_locale()
    return _VI[kind] if locale is None or locale.language == "vi" else None


def fmt_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if pattern := _vi_pattern("datetime"):
        return format_datetime(value, pattern)
    # The locale's own way to join a date and a time ("{1}, {0}" in English).
    glue = str(get_datetime_format("medium", locale=get_locale()))
    return glue.replace("{1}", format_date(value, "medium")).replace(
        "{0}", format_time(value, "short")
    )


def fmt_date(value: datetime | date | None) -> str:
    """A day; a datetime is first moved into the display zone."""
    if value is None:
        return ""
    return format_date(value, _vi_pattern("date") or "medium")


def fmt_time(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_time(value, _vi_pattern("time") or "short")


def fmt_day_month(value: date) -> str:
    """A chart label: the day and month only."""
    if pattern := _vi_pattern("day_month"):
        return format_date(value, pattern)
    # No named Babel format leaves out the year; the CLDR skeleton "MMMd" does.
    return format_skeleton("MMMd", value, locale=get_locale())


def today_local() -> date:
    from .db import utcnow

    return utcnow().astimezone(zone()).date()
