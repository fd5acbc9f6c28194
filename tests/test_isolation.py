"""Every route in ``app.url_map``, as every kind of visitor.

For each rule: anonymous visitors are sent to the login page; a signed-in user without
the route's role gets 404; a manager of *another* organisation gets 404 on org-scoped
routes (also when the URL mixes their own org id with another org's object ids); the
owner (or a user with the role) gets 200.

The walk is generic, so routes added later are covered without editing this file,
except in two cases where it fails with instructions:
- a URL argument it cannot fill: add the argument to ``ARGS`` (how to build a value
  that belongs to organisation A from the ``World``);
- a view that neither uses ``signage.auth.roles_required`` nor is listed in ``PUBLIC``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient

from signage import create_app
from signage.accounts.models import Organisation, Role, User
from signage.venues.models import Venue

from .helpers import login

# Endpoints anyone may open without signing in (the resident's scan pages, login...).
# Only add an endpoint here when it is meant to be public; its answers are still
# checked for "no 500".
PUBLIC = {
    "static",
    "core.index",
    "core.healthz",
    "core.set_language",
    "core.wards_json",
    "accounts.login",
    "accounts.logout",
    "checkin.enter_token",
    "checkin.scan",
    "checkin.scan_alias",
    "checkin.enter_token_alias",
    "checkin.checkin",
    "checkin.forget",
    "checkin.confirmed",
    "checkin.check_out",
    "checkin.feedback",
    # Deleting one's check-in: only the browser holding its owner cookie (404 else).
    "checkin.delete_confirm",
    "checkin.delete",
    # Screens: the player's page and API (a screen has no login; the API answers 401
    # without a valid screen key) and rendered slides at content-hash URLs.
    "screens_player.play",
    "screens_player.player_js",
    "screens_player.service_worker",
    "screens_player.pair_start",
    "screens_player.pair_status",
    "screens_player.manifest",
    "screens_player.plays",
    "screens_player.slide_image",
    "screens_player.fallback_image",
    "screens_player.alert",
    "screens_player.override_image",
    "screens_player.video_file",
    # Personal QR cards: the resident's own pages, reached by the card's secret code.
    "cards.new_card",
    "cards.card",
    "cards.card_png",
    "cards.delete",
    "cards.scanned_by_a_camera",
    # JSON API: key-authenticated (401 without a key), never a login page.
    "api.openapi",
    "api.venue",
    "api.venue_list",
    "api.checkin",
    # The campaign's logo in the public pages' header (printed on every board).
    "campaign.logo",
    # The developer's outbox: registered only outside production (404 there).
    "mail_dev.dev_list",
    "mail_dev.dev_show",
    # Links from mails (a random token; 404 unknown, 410 used or expired) and the
    # forgotten-password form.
    "account.accept",
    "account.forgot",
    "account.reset",
    "account.email_confirm",
    # Self-registration: the form, "check your e-mail", the e-mailed link.
    "registration.register",
    "registration.sent",
    "registration.verify",
}

# Allowed users get a redirect from these (to their own page) instead of a 200.
REDIRECTS = {"venues.my_org"}


@dataclass
class World:
    """Organisation A (the owner's) and B (the other manager's), one of each role."""

    org: Organisation
    venue: Venue
    other_org: Organisation
    other_venue: Venue
    users: dict[str, User] = field(default_factory=dict)
    victim: User | None = None  # target of admin actions on users


# URL argument -> a value belonging to organisation A. Add your area's arguments here
# (create the object through your services or factories, owned by ``w.org``).
ARGS: dict[str, Callable[[World], Any]] = {
    "org_id": lambda w: w.org.id,
    "venue_id": lambda w: w.venue.id,
    "user_id": lambda w: w.victim.id,
    "token": lambda w: w.venue.token,
    "code": lambda w: "en",
    "filename": lambda w: "css/app.css",
    "ref": lambda w: _checkin_ref(w),
    "loop_id": lambda w: _screens(w)["loop"].id,
    "slide_id": lambda w: _screens(w)["loop"].slides[0].id,
    "screen_id": lambda w: _screens(w)["screen"].id,
    "size": lambda w: "1280x720",
    "digest": lambda w: _screens(w)["loop"].version_hash,
    "key": lambda w: "0" * 32,
    "client_id": lambda w: _api_client(w),
    "job_id": lambda w: _job(w),
    "request_id": lambda w: _erasure_request(w),
    "unit_id": lambda w: w.org.id,
    "reg_id": lambda w: _registration(w),
    "override_id": lambda w: _override(w),
    "name": lambda w: "0" * 32 + ".mp4",
    "mail_id": lambda w: _outbox_mail(w),
    "invitation_id": lambda w: _invitation(w, w.org),
    "member_id": lambda w: _member(w),
}
# Endpoints whose page needs something of organisation A to exist first (built once
# per test, before the walk): endpoint -> builder.
SETUP: dict[str, Callable[[World], Any]] = {
    "reports.posted_photo": lambda w: _board_photo(w),
}
# Arguments naming an object that only the user who made it (and the province admin)
# may open, whatever their role: everyone else gets 404.
OWNER_ONLY = {"job_id"}
# Arguments naming a node of the tree (or what hangs below one): a supervisor may
# open them only within its unit's subtree.
SUBTREE_ARGS = {"org_id", "unit_id", "reg_id"}
# Arguments naming an object owned by organisation A (screens, loops, slides): only
# A's users whose role the route allows, and the province admin, may open it.
ORG_OWNED = {"loop_id", "slide_id", "screen_id"}
# The same argument pointing at organisation B's object (for the mixed-id check).
OTHER_ARGS: dict[str, Callable[[World], Any]] = {
    "org_id": lambda w: w.other_org.id,
    "venue_id": lambda w: w.other_venue.id,
    "invitation_id": lambda w: _invitation(w, w.other_org),
    "member_id": lambda w: w.users["other_door"].id,
}


def _checkin_ref(w: World) -> str:
    """A check-in at organisation A's venue; its confirmation URL's reference."""
    from sqlalchemy.orm import object_session

    from signage.checkin import services as checkins

    s = object_session(w.venue)
    visitor = checkins.Visitor("Nguyễn Văn A", "+84901234567")
    done = checkins.check_in(
        s, w.venue, visitor, submission_id=checkins.new_submission_id(), secret="x"
    )
    s.commit()
    return done.public_ref


def _erasure_request(w: World) -> int:
    """An open data-subject request (province admin only)."""
    from datetime import date

    from sqlalchemy.orm import object_session

    from signage.privacy import services as privacy

    s = object_session(w.org)
    req = privacy.create(
        s,
        phone_raw="0901234567",
        received_on=date(2026, 1, 5),
        note="",
        due_days=20,
        user_id=w.users["admin"].id,
        today=date(2026, 1, 6),
        secret="isolation",
    )
    s.commit()
    return req.id


def _registration(w: World) -> int:
    """A verified registration waiting under organisation A (its unit's supervisor
    decides it; the neighbour must not)."""
    from sqlalchemy.orm import object_session

    from signage.accounts.models import OrgKind
    from signage.units.models import Registration, RegState

    s = object_session(w.org)
    reg = Registration(
        state=RegState.PENDING,
        name="Quán mới",
        kind=OrgKind.BUSINESS,
        parent_id=w.org.id,
        province_code=w.org.province_code,
        ward_code=w.org.ward_code,
        email="quanmoi@example.vn",
        password_hash="x",
        reason="",
    )
    s.add(reg)
    s.commit()
    return reg.id


def _invitation(w: World, org: Organisation) -> int:
    """A pending invitation of a door-staff member into ``org``."""
    from datetime import timedelta

    from sqlalchemy.orm import object_session

    from signage.accounts import links
    from signage.accounts.models import Invitation
    from signage.db import utcnow

    s = object_session(org)
    _token, hashed = links.new_token()
    row = Invitation(
        email=f"moi{hashed[:8]}@example.vn",
        role=Role.DOOR,
        organisation_id=org.id,
        token_hash=hashed,
        created_at=utcnow(),
        expires_at=utcnow() + timedelta(days=7),
    )
    s.add(row)
    s.commit()
    return row.id


def _member(w: World) -> int:
    """A door-staff member of organisation A (whose role the owner may change)."""
    from sqlalchemy.orm import object_session

    from signage.accounts import services

    s = object_session(w.org)
    user = services.create_user(
        s,
        email=f"member{len(w.__dict__.setdefault('_members', []))}@example.vn",
        password="a long enough password",
        role=Role.DOOR,
        organisation_id=w.org.id,
        policy=services.HashPolicy(1, 1024),
    )
    w.__dict__["_members"].append(user.id)
    s.commit()
    return user.id


def _api_client(w: World) -> int:
    from sqlalchemy.orm import object_session

    from signage.api import services as api
    from signage.api.models import Scope

    s = object_session(w.org)
    client, _key = api.create_client(s, "Ứng dụng thử", [Scope.VENUES_READ])
    s.commit()
    return client.id


def _outbox_mail(w: World) -> int:
    """A failed mail to organisation A (the admin may send it again)."""
    from sqlalchemy.orm import object_session

    from signage.mail.models import MailState
    from signage.mail.services import queue_mail

    s = object_session(w.org)
    mail = queue_mail(s, to="a@example.vn", subject="S", text="T", kind="t")
    mail.org_id, mail.state, mail.attempts = w.org.id, MailState.FAILED, 8
    s.commit()
    return mail.id


def _job(w: World) -> str:
    """A finished job of the owner, with its result file."""
    from signage.jobs import services as jobs
    from signage.jobs.models import JobState
    from signage.storage import get_storage

    from .helpers import new_job

    app = w.__dict__["_app"]
    req = jobs.JobRequest(
        kind="boards.org_batch", owner_id=w.users["owner"].id, params={}, title="B"
    )
    key = "jobs/owner-job/b.pdf"  # any key in the storage will do
    job_id = new_job(app, req, state=JobState.DONE, file_name="b.pdf", file_key=key)
    get_storage(app).put(key, b"%PDF-1.4")
    return job_id


def _board_photo(w: World) -> None:
    """Venue A's board confirmed posted with a photo."""
    import io

    from PIL import Image
    from sqlalchemy.orm import object_session

    from signage.reports import photos, postings
    from signage.storage import get_storage

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buf, "PNG")
    photo = photos.clean_photo(buf.getvalue(), photos.PhotoPolicy())
    s = object_session(w.venue)
    storage = get_storage(w.__dict__["_app"])
    postings.confirm_posted(
        s, storage, org_id=w.org.id, venue_id=w.venue.id, user_id=None, photo=photo
    )
    s.commit()


def _screens(w: World) -> dict[str, Any]:
    """A published loop of organisation A and a screen of A paired to it (built on
    first use with the session that made the world)."""
    cache: dict[str, Any] = w.__dict__.setdefault("_screens", {})
    if not cache:
        from sqlalchemy.orm import object_session

        from signage.screens import devices, services
        from signage.screens.models import SlideKind

        s = object_session(w.org)
        loop = services.create_loop(s, "Vòng chiếu", w.org.id)
        services.add_slide(s, loop, services.SlideData(SlideKind.POSTER, title="A"))
        s.expire(loop, ["slides"])
        services.publish(s, loop, "https://qr.example.vn")
        code, _secret = devices.start_pairing(s, 30)
        screen = devices.pair(
            s, code, devices.ScreenData("TV", loop.id, 1280, 720), w.org.id
        )
        s.commit()
        cache.update(loop=loop, screen=screen)
    return cache


def _override(w: World) -> int:
    """A live emergency override to every screen (the world's screen is one)."""
    from sqlalchemy.orm import object_session

    from signage.screens import overrides
    from signage.screens.models import OverrideTarget

    _screens(w)
    s = object_session(w.org)
    row = overrides.create(
        s,
        overrides.OverrideData(OverrideTarget.ALL, title="Khẩn", until_cancelled=True),
        None,
    )
    s.commit()
    return row.id


def _rules() -> list[tuple[str, str, tuple[str, ...]]]:
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    out = []
    for rule in app.url_map.iter_rules():
        methods = tuple(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
        out.append((rule.endpoint, rule.rule, methods))
    return sorted(out)


RULES = _rules()
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def world(app, make_org, make_venue, make_user) -> World:
    org, other = make_org(name="Tổ chức A"), make_org(name="Tổ chức B")
    w = World(
        org=org,
        venue=make_venue(org),
        other_org=other,
        other_venue=make_venue(other),
    )
    w.users = {
        "owner": make_user(Role.MANAGER, org),
        "other_manager": make_user(Role.MANAGER, other),
        "admin": make_user(Role.ADMIN),
        "editor": make_user(Role.EDITOR),
        "health": make_user(Role.HEALTH),
        "screens_op": make_user(Role.SCREENS, org),
        "other_screens_op": make_user(Role.SCREENS, other),
        "door": make_user(Role.DOOR, org),
        "other_door": make_user(Role.DOOR, other),
    }
    # The reporting chain: A's unit (its supervisor oversees A) and B's unit (the
    # neighbour, whose supervisor must never see A).
    unit, neighbour = make_org(name="UBND phường A"), make_org(name="UBND phường B")
    _set_parent(org, unit)
    _set_parent(other, neighbour)
    w.users["supervisor"] = make_user(Role.SUPERVISOR, unit)
    w.users["neighbour"] = make_user(Role.SUPERVISOR, neighbour)
    w.victim = make_user(Role.HEALTH)
    w.__dict__["_app"] = app
    return w


def _set_parent(org: Organisation, parent: Organisation) -> None:
    from sqlalchemy.orm import object_session

    from signage.units import tree

    s = object_session(org)
    tree.set_parent(s, org, parent.id)
    s.commit()


def _values(app: Flask, endpoint: str, rule: str, w: World) -> dict[str, Any]:
    args = next(r for r in app.url_map.iter_rules(endpoint) if r.rule == rule).arguments
    values = {}
    for name in sorted(args):
        if name not in ARGS:
            pytest.fail(
                f"{endpoint} ({rule}) takes <{name}>, which tests/test_isolation.py "
                f"cannot fill: add '{name}' to ARGS there (a value owned by "
                "organisation A), and to OTHER_ARGS if it names an org-owned object."
            )
        values[name] = ARGS[name](w)
    return values


def _url(app: Flask, endpoint: str, values: dict[str, Any]) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def _csrf(client: FlaskClient) -> str:
    # Every page of the layout carries one (the logout form or the login form).
    page = client.get("/login").get_data(as_text=True)
    if 'name="csrf_token"' not in page:
        page = client.get("/no-such-page").get_data(as_text=True)
    match = _CSRF.search(page)
    assert match, "no CSRF token in the layout"
    return match.group(1)


def _hit(client: FlaskClient, method: str, url: str) -> Any:
    data = {} if method == "GET" else {"csrf_token": _csrf(client)}
    resp = client.open(url, method=method, data=data)
    resp.get_data()
    resp.close()  # static files hold an open file until closed
    return resp


def _goes_to_login(resp: Any) -> bool:
    return resp.status_code == 302 and "/login" in resp.headers.get("Location", "")


def _roles(app: Flask, endpoint: str) -> frozenset[Role] | None:
    return getattr(app.view_functions[endpoint], "signage_roles", None)


@pytest.mark.parametrize(("endpoint", "rule", "methods"), RULES)
def test_route_isolation(app, world, endpoint, rule, methods):
    if endpoint in SETUP:
        SETUP[endpoint](world)
    values = _values(app, endpoint, rule, world)
    url = _url(app, endpoint, values)
    roles = _roles(app, endpoint)
    anonymous = app.test_client()

    if endpoint in PUBLIC:
        for method in methods:
            resp = _hit(anonymous, method, url)
            assert resp.status_code < 500, f"{method} {url} answered {resp.status_code}"
            assert not _goes_to_login(resp) or endpoint == "accounts.logout"
        return
    assert roles is not None, (
        f"{endpoint} ({rule}) is not protected by signage.auth.roles_required and "
        "not listed in PUBLIC in tests/test_isolation.py: protect it, or list it as "
        "public if anyone may open it."
    )

    clients: dict[str, FlaskClient] = {}
    for name, user in world.users.items():
        clients[name] = app.test_client()
        login(clients[name], user)
    org_scoped = "org_id" in values
    unit_scoped = bool(SUBTREE_ARGS & set(values))

    def allowed(name: str) -> bool:
        user = world.users[name]
        if user.role not in roles:
            return False
        if OWNER_ONLY & set(values):
            return name in ("owner", "admin")
        if ORG_OWNED & set(values):
            return user.role is Role.ADMIN or user.organisation_id == world.org.id
        if org_scoped and user.role in (Role.MANAGER, Role.DOOR):
            return user.organisation_id == world.org.id
        if unit_scoped and user.role is Role.SUPERVISOR:
            # A supervisor sees its unit's subtree (A), never the neighbour's.
            return name == "supervisor"
        return True

    for method in methods:
        resp = _hit(anonymous, method, url)
        assert _goes_to_login(resp), (
            f"anonymous {method} {url}: expected 302 to login, got {resp.status_code}"
        )
        for name, client in clients.items():
            if allowed(name):
                continue
            resp = _hit(client, method, url)
            assert resp.status_code == 404, (
                f"{name} ({world.users[name].role.value}) {method} {url}: "
                f"expected 404, got {resp.status_code}"
            )
        if org_scoped and len(values) > 1:
            # Own org id in the URL, another org's object ids: still 404.
            mixed = _url(app, endpoint, {**values, "org_id": world.other_org.id})
            for name in ("other_manager", "neighbour"):
                resp = _hit(clients[name], method, mixed)
                assert resp.status_code == 404, f"{name} {method} {mixed}"
            # The owner's org id with organisation B's object: 404 as well.
            for name in set(values) - {"org_id"}:
                foreign = _url(app, endpoint, {**values, name: OTHER_ARGS[name](world)})
                for who in ("owner", "supervisor"):
                    resp = _hit(clients[who], method, foreign)
                    assert resp.status_code == 404, f"{who} {method} {foreign}"

    # Allowed users last: their POSTs may change things (rotate, deactivate).
    for method in methods:
        for name, client in clients.items():
            if not allowed(name):
                continue
            resp = _hit(client, method, url)
            who = f"{name} ({world.users[name].role.value}) {method} {url}"
            if method == "GET":
                if endpoint in REDIRECTS:
                    assert resp.status_code == 302 and not _goes_to_login(resp), who
                else:
                    assert resp.status_code == 200, f"{who}: {resp.status_code}"
            else:
                assert resp.status_code < 500 and resp.status_code not in (404, 405), (
                    f"{who}: {resp.status_code}"
                )


def test_every_org_scoped_object_argument_has_an_other_org_value():
    """An argument naming an org-owned object must be checked across organisations."""
    for endpoint, rule, _methods in RULES:
        if "<int:org_id>" in rule:
            for name in re.findall(r"<(?:\w+:)?(\w+)>", rule):
                assert name in OTHER_ARGS, (
                    f"{endpoint} ({rule}) takes <{name}> next to <org_id>: add it to "
                    "OTHER_ARGS in tests/test_isolation.py (the object of org B)."
                )


def test_door_staff_open_only_the_scan_pages_and_their_own_account(app):
    """No logs, no exports, no venue or board pages: a door-staff account opens its
    organisation's scan pages and its own password/e-mail pages, nothing else."""
    door = {
        endpoint
        for endpoint, _rule, _methods in RULES
        if Role.DOOR in (_roles(app, endpoint) or ())
    }
    assert door == {
        "cards.scan_venues",
        "cards.staff_scan",
        "account.me",
        "account.password",
        "account.email",
    }
