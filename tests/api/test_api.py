"""JSON API v1: keys and scopes, venues, idempotent check-ins, errors as JSON 4xx."""

from __future__ import annotations

import pytest
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR
from sqlalchemy import func, select

from signage.accounts.models import Role
from signage.api import services as api
from signage.api.models import ApiClient, Scope
from signage.checkin.models import CheckIn
from signage.venues import services as venues

from ..helpers import csrf_token, login


@pytest.fixture
def keys(session, make_org):
    org = make_org(name="Siêu thị Co.op Huế")
    province, pkey = api.create_client(
        session, "Ứng dụng Hue-S", [Scope.VENUES_READ, Scope.CHECKINS_WRITE]
    )
    scoped, skey = api.create_client(
        session, "Ki-ốt siêu thị", [Scope.CHECKINS_WRITE, Scope.VENUES_READ], org.id
    )
    reader, rkey = api.create_client(session, "Bản đồ", [Scope.VENUES_READ])
    session.commit()
    return {"org": org, "province": pkey, "scoped": skey, "reader": rkey}


def _h(key):
    return {"Authorization": f"Bearer {key}"}


def test_key_is_stored_hashed_and_shown_once(session, keys):
    rows = session.scalars(select(ApiClient)).all()
    assert all(keys["province"] not in (r.key_hash, r.key_prefix) for r in rows)
    assert all(r.key_prefix == r.key_prefix[:10] for r in rows)


def test_missing_wrong_or_revoked_key_is_401_json(client, session, keys):
    for headers in ({}, _h("sgn_wrong"), {"Authorization": "Basic abc"}):
        resp = client.get("/api/v1/venues", headers=headers)
        assert resp.status_code == 401
        assert resp.json["message"] and resp.headers["WWW-Authenticate"].startswith(
            "Bearer"
        )
    client_row = session.scalars(
        select(ApiClient).where(ApiClient.name == "Bản đồ")
    ).one()
    api.revoke(session, client_row.id)
    session.commit()
    assert client.get("/api/v1/venues", headers=_h(keys["reader"])).status_code == 401


def test_venue_lookup_and_listing_respect_the_client_scope(
    client, make_org, make_venue, keys
):
    mine = make_venue(keys["org"], name="Quầy thu ngân số 1")
    other = make_venue(make_org(), name="Nhà thuốc Long Châu")
    resp = client.get(
        f"/api/v1/venues/{mine.token.lower()}", headers=_h(keys["scoped"])
    )
    assert resp.status_code == 200
    assert resp.json["name"] == "Quầy thu ngân số 1"
    assert resp.json["checkin_url"] == f"https://qr.example.vn/C/{mine.token}"
    assert resp.json["ward"] == "Phường Thuận Hóa"
    assert (
        client.get(
            f"/api/v1/venues/{other.token}", headers=_h(keys["scoped"])
        ).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/venues/{other.token}", headers=_h(keys["province"])
        ).status_code
        == 200
    )

    names = [
        v["name"]
        for v in client.get("/api/v1/venues", headers=_h(keys["scoped"])).json["items"]
    ]
    assert names == ["Quầy thu ngân số 1"]
    page = client.get("/api/v1/venues?limit=1", headers=_h(keys["province"])).json
    assert len(page["items"]) == 1 and "after=" in page["next"]
    rest = client.get(page["next"], headers=_h(keys["province"])).json
    assert {v["name"] for v in rest["items"]} == {"Nhà thuốc Long Châu"}
    end = client.get(rest["next"], headers=_h(keys["province"])).json
    assert end == {"items": []}  # the last page links no further
    for bad in ("?limit=0", "?limit=x", "?after=-1", "?limit=501"):
        assert (
            client.get(f"/api/v1/venues{bad}", headers=_h(keys["province"])).status_code
            == 400
        )


def test_checkin_is_recorded_once_per_client_ref(client, session, make_venue, keys):
    venue = make_venue(keys["org"])
    body = {
        "venue_token": venue.token,
        "name": "Y Moan Ênuôl",
        "phone": "+84 90 123 4567",
        "client_ref": "kiosk-7-000123",
    }
    first = client.post("/api/v1/checkins", json=body, headers=_h(keys["scoped"]))
    assert first.status_code == 201, first.json
    assert first.json["phone"] == "090•••4567" and first.json["created"] is True
    again = client.post("/api/v1/checkins", json=body, headers=_h(keys["scoped"]))
    assert again.status_code == 200 and again.json["ref"] == first.json["ref"]
    assert session.scalar(select(func.count()).select_from(CheckIn)) == 1
    row = session.scalars(select(CheckIn)).one()
    assert row.phone == "+84901234567" and row.name == "Y Moan Ênuôl"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 400, None),
        (
            {
                "venue_token": "???",
                "name": "An",
                "phone": "0901234567",
                "client_ref": "a",
            },
            422,
            "venue_token",
        ),
        (
            {
                "venue_token": "ZZZZZZZZZZ",
                "name": "An",
                "phone": "09",
                "client_ref": "a",
            },
            422,
            "phone",
        ),
        (
            {
                "venue_token": "ZZZZZZZZZZ",
                "name": "\u200bX",
                "phone": "0901234567",
                "client_ref": "a",
            },
            422,
            "name",
        ),
        (
            {"venue_token": "ZZZZZZZZZZ", "name": "An Bình", "phone": "0901234567"},
            422,
            "client_ref",
        ),
        (
            {"venue_token": "ZZZZZZZZZZ", "name": ["x"], "phone": 1, "client_ref": "a"},
            422,
            "name",
        ),
        (
            {
                "venue_token": "ZZZZZZZZZZ",
                "name": "An Bình",
                "phone": "0901234567",
                "client_ref": "a",
            },
            404,
            None,
        ),
    ],
)
def test_bad_checkins_are_json_4xx(client, keys, body, status, field):
    kw = (
        {"data": body, "content_type": "application/json"}
        if isinstance(body, str)
        else {"json": body}
    )
    resp = client.post("/api/v1/checkins", headers=_h(keys["province"]), **kw)
    assert resp.status_code == status
    assert resp.is_json and resp.json["message"]
    if field:
        assert field in resp.json["fields"]


def test_scopes_and_other_organisations(client, make_org, make_venue, keys):
    venue = make_venue(make_org())
    body = {
        "venue_token": venue.token,
        "name": "An Bình",
        "phone": "0901234567",
        "client_ref": "r1",
    }
    assert (
        client.post(
            "/api/v1/checkins", json=body, headers=_h(keys["reader"])
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/checkins", json=body, headers=_h(keys["scoped"])
        ).status_code
        == 404
    )


def test_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert {"/venues/{token}", "/venues", "/checkins"} <= set(doc["paths"])
    assert doc["servers"][0]["url"] == "https://qr.example.vn/api/v1"


def test_openapi_document_is_valid_and_documents_every_answer(client):
    doc = client.get("/api/v1/openapi.json").json
    # The OpenAPI 3.1 meta-schema, as schemathesis ships it.
    assert OPENAPI_31_VALIDATOR.is_valid(doc), list(
        OPENAPI_31_VALIDATOR.iter_errors(doc)
    )[:3]
    error_ref = {"$ref": "#/components/schemas/Error"}
    expected = {
        ("/venues/{token}", "get"): {"200", "401", "403", "404", "410"},
        ("/venues", "get"): {"200", "400", "401", "403"},
        ("/checkins", "post"): {
            *("200", "201", "400", "401", "403", "404", "409", "413", "422", "429")
        },
    }
    for (path, method), statuses in expected.items():
        responses = doc["paths"][path][method]["responses"]
        assert set(responses) == statuses, (path, method)
        for status, response in responses.items():
            schema = response["content"]["application/json"]["schema"]
            assert (schema == error_ref) == (int(status) >= 400), (path, status)
    body = doc["paths"]["/checkins"]["post"]["requestBody"]
    assert body["required"] is True
    checkin_in = doc["components"]["schemas"]["CheckinIn"]
    assert set(checkin_in["required"]) == {"venue_token", "name", "phone", "client_ref"}


def _error_body(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)[:200]
    assert resp.is_json
    assert resp.json["error"] == status and resp.json["message"]
    assert set(resp.json) <= {"error", "message", "fields"}
    return resp.json


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"venue_token": ', "application/json", 400),  # cut short
        (b"\xff\xfe{}", "application/json", 400),  # not UTF-8
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),  # nested past recursion
        (b'{"a": ' * 2000 + b"1" + b"}" * 2000, "application/json", 400),
        (b"x" * (17 * 1024), "application/json", 413),
        (b'{"name": "' + b"A" * (200 * 1024) + b'"}', "application/json", 413),
        (b"venue_token=7KQ2M9XW3D", "application/x-www-form-urlencoded", 400),
        (b"[1, 2]", "application/json", 422),
        (b"null", "application/json", 422),
    ],
)
def test_bad_bodies_are_4xx_with_the_error_body(
    client, keys, data, content_type, status
):
    resp = client.post(
        "/api/v1/checkins",
        data=data,
        content_type=content_type,
        headers=_h(keys["province"]),
    )
    _error_body(resp, status)


def test_http_errors_under_the_api_share_the_error_body(client, keys):
    resp = client.get("/api/v1/checkins", headers=_h(keys["province"]))
    _error_body(resp, 405)
    assert "POST" in resp.headers["Allow"]
    _error_body(client.get("/api/v1/nothing-here", headers=_h(keys["province"])), 404)
    _error_body(client.get("/api/v1/venues/A%2FB", headers=_h(keys["province"])), 404)


def test_client_ref_is_one_checkin_and_inactive_venues_refuse(
    client, session, make_venue, keys
):
    first, second = make_venue(keys["org"]), make_venue(keys["org"])
    body = {"name": "An Bình", "phone": "0901234567", "client_ref": "k-1"}
    resp = client.post(
        "/api/v1/checkins",
        json={**body, "venue_token": first.token},
        headers=_h(keys["scoped"]),
    )
    assert resp.status_code == 201
    resp = client.post(
        "/api/v1/checkins",
        json={**body, "venue_token": second.token, "phone": "0912345678"},
        headers=_h(keys["scoped"]),
    )
    assert "client_ref" in _error_body(resp, 409)["fields"]
    venues.set_active(session, second, False)
    session.commit()
    resp = client.post(
        "/api/v1/checkins",
        json={**body, "venue_token": second.token, "client_ref": "k-2"},
        headers=_h(keys["scoped"]),
    )
    _error_body(resp, 409)
    assert session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_admin_issues_and_revokes_keys(client, session, make_user):
    login(client, make_user(Role.ADMIN))
    token = csrf_token(client, "/admin/api-clients/")
    resp = client.post(
        "/admin/api-clients/",
        data={
            "csrf_token": token,
            "name": "Ứng dụng Hue-S",
            "organisation_id": "",
            "venues_read": "y",
            "checkins_write": "y",
        },
    )
    assert resp.status_code == 201 and resp.headers["Cache-Control"] == "no-store"
    page = resp.get_data(as_text=True)
    key = page.split('id="new-key">')[1].split("<")[0]
    assert key.startswith("sgn_")
    assert client.get("/api/v1/venues", headers=_h(key)).status_code == 200
    assert key not in client.get("/admin/api-clients/").get_data(as_text=True)

    resp = client.post(
        "/admin/api-clients/",
        data={"csrf_token": token, "name": "Không quyền", "organisation_id": ""},
    )
    assert resp.status_code == 422 and "ít nhất một quyền" in resp.get_data(
        as_text=True
    )

    row = session.scalars(select(ApiClient)).one()
    client.post(f"/admin/api-clients/{row.id}/revoke", data={"csrf_token": token})
    assert client.get("/api/v1/venues", headers=_h(key)).status_code == 401


@pytest.mark.parametrize("config_overrides", [{"API_CHECKIN_LIMIT": "2 per minute"}])
def test_rate_limit_answers_429_with_the_error_body(client, make_venue, keys):
    venue = make_venue(keys["org"])
    statuses = []
    for n in range(3):
        resp = client.post(
            "/api/v1/checkins",
            json={
                "venue_token": venue.token,
                "name": "An Bình",
                "phone": f"090123456{n}",
                "client_ref": f"r{n}",
            },
            headers=_h(keys["scoped"]),
        )
        statuses.append(resp.status_code)
    assert statuses[:2] == [201, 201]
    _error_body(resp, 429)


def test_rotated_token_answers_410_and_a_missing_scope_403(
    client, session, make_venue, keys
):
    venue = make_venue(keys["org"])
    old = venue.token
    venues.rotate_token(session, venue)
    session.commit()
    resp = client.get(f"/api/v1/venues/{old}", headers=_h(keys["province"]))
    _error_body(resp, 410)
    resp = client.get(f"/api/v1/venues/{venue.token}", headers=_h(keys["province"]))
    assert resp.status_code == 200 and resp.json["token"] == venue.token
    _error_body(
        client.get("/api/v1/venues/not-a-token", headers=_h(keys["reader"])), 404
    )
    body = {"venue_token": venue.token, "name": "An", "phone": "0901234567"}
    resp = client.post(
        "/api/v1/checkins", json={**body, "client_ref": "x"}, headers=_h(keys["reader"])
    )
    _error_body(resp, 403)
