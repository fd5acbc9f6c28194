"""Check-in fixtures: scanning a venue's page and posting its form like a phone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from signage.venues.models import Venue

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_id" value="([^"]+)"')


def form_fields(page: str) -> dict[str, str]:
    csrf = _CSRF.search(page)
    sub = _SUBMISSION.search(page)
    assert csrf and sub, "the scan page has no check-in form"
    return {"csrf_token": csrf.group(1), "submission_id": sub.group(1)}


@pytest.fixture
def scan() -> Callable[..., tuple[Any, dict[str, str]]]:
    """GET the venue's scan page; returns (response, hidden form fields)."""

    def do(client: FlaskClient, venue: Venue) -> tuple[Any, dict[str, str]]:
        resp = client.get(f"/C/{venue.token}")
        assert resp.status_code == 200, resp.status_code
        return resp, form_fields(resp.get_data(as_text=True))

    return do


@pytest.fixture
def check_in(scan: Callable[..., Any]) -> Callable[..., Any]:
    """Scan, fill the form and POST it; returns the POST response."""

    def do(
        client: FlaskClient,
        venue: Venue,
        name: str = "Nguyễn Văn An",
        phone: str = "0901234567",
        **extra: Any,
    ) -> Any:
        _resp, hidden = scan(client, venue)
        data = {"name": name, "phone": phone, "consent": "y", **hidden, **extra}
        return client.post(f"/C/{venue.token}", data=data)

    return do
