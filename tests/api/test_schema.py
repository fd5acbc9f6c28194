"""The API keeps its published contract: schemathesis reads the OpenAPI document the
app serves and sends every operation generated requests, valid and invalid, with a
key, to the test's app (in-process, over WSGI), checking each answer with all of its
checks (no 5xx, documented status, body and headers as documented, invalid input
refused, valid input accepted, the key required).

``SCHEMATHESIS_EXAMPLES`` raises the example count for a longer hunt."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import update
from sqlalchemy.orm import Session

from signage import create_app
from signage.api import services as api
from signage.api.models import Scope
from signage.checkin import people
from signage.errors import Invalid
from signage.venues import tokens
from signage.venues.models import Venue

from ..conftest import base_config

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40"))
# The token the document gives as its example: the fixture's venue carries it, so
# the examples phase records real check-ins (201, then 200 on a repeat).
EXAMPLE_TOKEN = "7KQ2M9XW3D"


def _accepted(check: Callable[[str], str]) -> Callable[[str], bool]:
    def ok(value: str) -> bool:
        try:
            check(value)
        except Invalid:
            return False
        return True

    return ok


# Names and phones follow rules no JSON Schema states (the numbering plan; no invisible
# characters, at least two letters), so the document marks them with the formats
# "person-name" and "phone" and here those formats get values the rules accept:
# valid data must then be accepted, and schemathesis checks that it is.
_letters = st.characters(categories=["L"])
schemathesis.openapi.format(
    "person-name",
    st.tuples(
        st.text(_letters, min_size=2, max_size=12),
        st.lists(st.text(_letters, min_size=1, max_size=12), max_size=3),
    )
    .map(lambda parts: " ".join([parts[0], *parts[1]]))
    .filter(_accepted(people.clean_name)),
)
schemathesis.openapi.format(
    "phone",
    st.one_of(
        st.sampled_from(
            ["0901234567", "+84 90 123 4567", "84-90-123-4567", "+33 6 12 34 56 78"]
        ),
        st.from_regex(r"\A09[0-4][0-9]{7}\Z"),
    ).filter(_accepted(people.clean_phone)),
)


@pytest.fixture
def api_key(session: Session, make_venue: Callable[..., Venue]) -> str:
    venue = make_venue(name="Quầy thu ngân số 1")
    session.execute(
        update(Venue).where(Venue.id == venue.id).values(token=EXAMPLE_TOKEN)
    )
    make_venue(name="Nhà thuốc Long Châu")
    _client, key = api.create_client(
        session, "schemathesis", [Scope.VENUES_READ, Scope.CHECKINS_WRITE]
    )
    session.commit()
    return key


# The document is read when the module is collected, from an app of its own (building
# one does no I/O, and serving the document reads no database); each test's requests
# go to that test's app with its fresh database. (schemathesis.pytest.from_fixture
# would load it per test, but fails under pytest 9: it rewrites a node id pytest no
# longer has.)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app(base_config(Path("."), "sqlite://"))
)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
    deterministic=True,
    database="none",
    allow_extra_parameters=False,
)


@schema.hook
def flatmap_path_parameters(
    context: Any, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the tokens drawn for ``/venues/{token}`` become the fixture venue's (in
    any case, as boards are typed), so the 200 answer is checked too, not only 404."""
    if not path_parameters or "token" not in path_parameters:
        return st.just(path_parameters)
    known = st.sampled_from([EXAMPLE_TOKEN, EXAMPLE_TOKEN.lower()])
    return st.one_of(
        st.just(path_parameters), known.map(lambda t: {**path_parameters, "token": t})
    )


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """Likewise half the valid venue tokens in check-in bodies (a valid one stays
    valid, so a negative case stays negative), so check-ins are recorded too."""
    token = body.get("venue_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or tokens.normalise(token) is None:
        return st.just(body)
    return st.sampled_from([body, {**body, "venue_token": EXAMPLE_TOKEN}])


@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_keeps_its_contract(case: Any, app: Flask, api_key: str) -> None:
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {api_key}"})
