"""The one request transaction boundary (signage.db.request_transaction): a view's
work is committed when its response is a success or a redirect, rolled back otherwise,
and run again when its transaction lost a race."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, abort, request
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from signage import db
from signage.accounts.models import Organisation
from signage.extensions import csrf
from signage.venues.models import Venue


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def route(app: Flask) -> Callable[..., Any]:
    """Add a test-only view to the app (before its first request)."""

    def add(rule: str, methods: tuple[str, ...] = ("POST",)) -> Callable[..., Any]:
        def register(view: Callable[..., Any]) -> Callable[..., Any]:
            csrf.exempt(view)
            app.add_url_rule(rule, view.__name__, view, methods=list(methods))
            return view

        return register

    return add


def _rename(org_id: int, name: str) -> None:
    db.session().get(Organisation, org_id).name = name  # type: ignore[union-attr]
    db.session().flush()


def test_success_and_redirect_commit(app, client, session, make_org, route):
    org = make_org(name="Cũ")

    @route("/t/ok")
    def ok() -> Any:
        _rename(org.id, "Mới")
        return "", 303

    assert client.post("/t/ok").status_code == 303
    session.expire_all()
    assert session.get(Organisation, org.id).name == "Mới"


@pytest.mark.parametrize("status", [400, 404, 422, 500])
def test_error_status_rolls_back(app, client, session, make_org, route, status):
    org = make_org(name="Cũ")

    @route("/t/refused")
    def refused() -> Any:
        _rename(org.id, "Mới")
        return "refused", status

    assert client.post("/t/refused").status_code == status
    session.expire_all()
    assert session.get(Organisation, org.id).name == "Cũ"


def test_exception_rolls_back_and_reaches_the_error_handlers(
    app, client, session, make_org, route
):
    org = make_org(name="Cũ")

    @route("/t/abort")
    def aborted() -> Any:
        _rename(org.id, "Mới")
        abort(404)

    resp = client.post("/t/abort")
    assert resp.status_code == 404
    assert "Không tìm thấy" in resp.get_data(as_text=True)
    session.expire_all()
    assert session.get(Organisation, org.id).name == "Cũ"


def test_unique_key_race_runs_the_view_again(app, client, session, make_venue, route):
    taken = make_venue()
    attempts: list[int] = []

    @route("/t/race")
    def race() -> Any:
        attempts.append(1)
        venue = db.session().get(Venue, taken.id)
        assert venue is not None
        # The first attempt takes a token another venue holds (as if it had been
        # taken a moment earlier by a concurrent request); the second a free one.
        token = taken.token if len(attempts) == 1 else "ZZZZZZZZZZ"
        clone = Venue(
            organisation_id=venue.organisation_id,
            name="Bản sao",
            address=venue.address,
            ward_code=venue.ward_code,
            token=token,
        )
        db.session().add(clone)
        db.session().flush()
        return "", 303

    assert client.post("/t/race").status_code == 303
    assert len(attempts) == 2
    assert session.scalar(select(Venue.name).where(Venue.token == "ZZZZZZZZZZ")) == (
        "Bản sao"
    )


def test_a_race_lost_every_time_gives_up_and_stores_nothing(
    app, client, session, make_venue, route
):
    taken = make_venue()
    before = _count(session, Venue)
    attempts: list[int] = []

    @route("/t/always")
    def always() -> Any:
        attempts.append(1)
        venue = db.session().get(Venue, taken.id)
        assert venue is not None
        _rename(venue.organisation_id, "Không được lưu")
        db.session().add(
            Venue(
                organisation_id=venue.organisation_id,
                name="Bản sao",
                address=venue.address,
                ward_code=venue.ward_code,
                token=taken.token,
            )
        )
        db.session().flush()
        return "", 303

    assert client.post("/t/always").status_code == 500
    assert len(attempts) == db.ATTEMPTS
    assert _count(session, Venue) == before
    assert session.get(Organisation, taken.organisation_id).name != "Không được lưu"


def test_uploads_are_rewound_for_the_next_attempt(
    app, client, session, make_venue, route
):
    taken = make_venue()
    seen: list[bytes] = []

    @route("/t/upload")
    def upload() -> Any:
        seen.append(request.files["f"].read())
        if len(seen) == 1:
            db.session().add(
                Venue(
                    organisation_id=taken.organisation_id,
                    name="x",
                    address="x",
                    ward_code=taken.ward_code,
                    token=taken.token,
                )
            )
            db.session().flush()
        return "", 303

    resp = client.post("/t/upload", data={"f": (io.BytesIO(b"abc"), "a.txt")})
    assert resp.status_code == 303
    assert seen == [b"abc", b"abc"]


def test_end_read_refuses_to_commit_work(app, client, make_org, route):
    org = make_org()

    @route("/t/sneaky")
    def sneaky() -> Any:
        _rename(org.id, "Lén")
        db.end_read()
        return "", 303

    assert client.post("/t/sneaky").status_code == 500


@pytest.mark.sqlite_only
def test_stale_sqlite_snapshot_is_retried(app, client, session, make_org, route):
    """A GET reads (a deferred transaction: a snapshot), another connection commits,
    then the GET writes: SQLite refuses at once (SQLITE_BUSY_SNAPSHOT) and the boundary
    runs the view again on a fresh snapshot."""
    org = make_org(name="Cũ")
    other = make_org(name="Khác")
    attempts: list[int] = []

    @route("/t/stale", methods=("GET",))
    def stale() -> Any:
        attempts.append(1)
        s = db.session()
        s.get(Organisation, org.id)  # the read: the snapshot starts here
        if len(attempts) == 1:
            session.execute(
                text("UPDATE organisations SET name = 'Đổi' WHERE id = :id"),
                {"id": other.id},
            )
        _rename(org.id, "Mới")
        return "", 200

    assert client.get("/t/stale").status_code == 200
    assert len(attempts) == 2
    session.expire_all()
    assert session.get(Organisation, org.id).name == "Mới"
