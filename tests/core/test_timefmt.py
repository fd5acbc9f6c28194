"""Dates through Flask-Babel: Vietnamese pages day first, English pages English."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from signage import create_app, timefmt

from ..conftest import base_config

AT = datetime(2026, 3, 5, 14, 7, tzinfo=UTC)  # 21:07 in Asia/Ho_Chi_Minh


def _in(app, lang):
    return app.test_request_context("/", headers={"Cookie": f"lang={lang}"})


def test_vietnamese_pages_write_day_month_year_and_a_24_hour_clock(app):
    with _in(app, "vi"):
        assert timefmt.fmt_datetime(AT) == "21:07 05/03/2026"
        assert timefmt.fmt_date(AT) == "05/03/2026"
        assert timefmt.fmt_date(date(2026, 12, 31)) == "31/12/2026"
        assert timefmt.fmt_time(AT) == "21:07"
        assert timefmt.fmt_day_month(date(2026, 3, 5)) == "05/03"


def test_english_pages_get_english_dates_in_the_same_zone(app):
    with _in(app, "en"):
        assert timefmt.fmt_datetime(AT).replace("\u202f", " ") == "Mar 5, 2026, 9:07 PM"
        assert timefmt.fmt_date(AT) == "Mar 5, 2026"
        assert timefmt.fmt_day_month(date(2026, 3, 5)) == "Mar 5"


def test_a_local_day_starts_at_local_midnight(app):
    late = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # 00:30 on the 6th in Huế
    with _in(app, "vi"):
        assert timefmt.fmt_date(late) == "06/03/2026"


@pytest.mark.parametrize("key", ["TIMEZONE", "BABEL_DEFAULT_TIMEZONE"])
def test_the_zone_has_one_setting_and_its_old_name_still_works(tmp_path, key):
    cfg = base_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app({**cfg, key: "Asia/Tokyo"})
    assert "TIMEZONE" not in app.config
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tokyo"
    with _in(app, "vi"):
        assert timefmt.fmt_datetime(AT) == "23:07 05/03/2026"
