"""The check-in's rate limits when their storage fails: a check-in matters more."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from signage.checkin.models import CheckIn


@pytest.fixture
def config_overrides():
    # Nothing listens on port 1: every hit of the limits' storage fails.
    return {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
        "CHECKIN_LIMIT_PER_IP": "1 per minute",
    }


def test_check_in_is_recorded_when_the_limit_storage_is_down(
    client, session, make_venue, check_in
):
    venue = make_venue()
    codes = [
        check_in(client, venue, phone=f"090123456{i}").status_code for i in range(2)
    ]
    assert codes == [303, 303]  # not a 500; the limit is not enforced meanwhile
    rows = session.scalars(select(CheckIn).where(CheckIn.venue_id == venue.id))
    assert len(list(rows)) == 2
