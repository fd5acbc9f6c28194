"""axe-core (npm's, installed by .ci/run into node_modules/) over every page in
Chromium: no serious or critical violation. The walk takes every GET route of the
app's url map that answers HTML (a new page is covered without editing this file);
the resident's flow (a 360 x 740 phone, the confirmation after the POST) has a test
of its own, which also checks that the check-in button is on screen without
scrolling."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from signage.accounts.models import Role

from .. import test_isolation as iso
from ..helpers import PASSWORD
from ..test_isolation import world  # noqa: F401  (the isolation walk's fixture)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: .ci/run must npm install axe-core")
        pytest.skip("axe-core not installed (npm install axe-core@4.14.1)")
    return AXE.read_text()


def _violations(page: Any, axe: str) -> list[str]:
    # evaluate() runs in the page's world without being subject to its CSP.
    page.evaluate(axe)
    return _run_axe(page)


def _run_axe(page: Any) -> list[str]:
    """The serious and critical violations on ``page`` (axe already loaded)."""
    return page.evaluate(
        """async () => (await axe.run(document, {
              runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'],
              resultTypes: ['violations']
            })).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' (' + v.impact + '): ' +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""
    )


def _login(page: Any, url: str, user: Any) -> None:
    page.goto(url + "/login")
    page.fill("#email", user.email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_public_pages_have_no_serious_accessibility_violations(
    live_server, browser, make_venue, axe_source
):
    venue = make_venue(name="Thư viện tổng hợp")
    context = browser.new_context(
        locale="vi-VN", viewport=SMALL_PHONE, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    found: dict[str, list[str]] = {}
    scan = f"{live_server.url}/C/{venue.token}"
    for path in (f"/C/{venue.token}", "/C", "/C/ZZZZZZZZZZ", "/", "/login"):
        page.goto(live_server.url + path)
        found[path] = _violations(page, axe_source)
    page.goto(scan)
    button = page.locator("main form button[type=submit]").first.bounding_box()
    assert button is not None and button["y"] + button["height"] <= 740, button
    page.fill("#name", "Nguyễn Văn An")
    page.fill("#phone", "0901234567")
    page.check("input[name=consent]")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#clock")
    found["confirmation"] = _violations(page, axe_source)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


# The walk over every page ---------------------------------------------------------
# Every GET route of app.url_map that answers an HTML page, opened in one browser:
# public pages anonymously, portal pages as a user of a role that may open them
# (the same users, URL arguments and setup as tests/test_isolation.py, so a new
# route is covered as soon as the isolation walk can fill it).

# Routes that never answer an HTML page (files, images, JSON, scripts, exports),
# skipped here (the isolation walk opens them). A route not listed here that
# answers something other than HTML fails the walk, so this list stays complete.
NOT_PAGES = {
    "static": "the stylesheets, scripts and images of the pages",
    "core.set_language": "a redirect that switches the language for the session",
    "core.healthz": "JSON for the load balancer",
    "core.wards_json": "JSON for the ward picker",
    "campaign.logo": "the header's logo (PNG)",
    "campaign.preview_saved": "the board preview (PNG) framed in /admin/campaign",
    "api.openapi": "JSON API",
    "api.venue_list": "JSON API",
    "api.venue": "JSON API",
    "cards.card_png": "the personal card's QR (PNG)",
    "posters.venue_board": "the board (PDF)",
    "posters.venue_qr_png": "the venue's QR (PNG)",
    "posters.venue_qr_svg": "the venue's QR (SVG)",
    "reports.posted_photo": "a posted board's photo (JPEG)",
    "reports.adoption_csv": "spreadsheet export",
    "reports.deployment_csv": "spreadsheet export",
    "reports.laggards_csv": "spreadsheet export",
    "adoption.units_csv": "spreadsheet export",
    "adoption.units_xlsx": "spreadsheet export",
    "adoption.roster_template": "spreadsheet template",
    "adoption.without_app_csv": "spreadsheet export",
    "venues.import_template": "spreadsheet template",
    "units.dashboard_csv": "spreadsheet export",
    "units.laggards_csv": "spreadsheet export",
    "units_import.template": "spreadsheet template",
    "screens_admin.report_csv": "spreadsheet export",
    "screens.slide_preview": "a slide preview (PNG)",
    "screens.loop_export": "the USB export (ZIP)",
    "jobs.download": "a job's result file",
    "screens_player.player_js": "the player's script",
    "screens_player.service_worker": "the player's service worker",
    "screens_player.manifest": "the player's JSON API",
    "screens_player.pair_status": "the player's JSON API",
    "screens_player.alert": "the player's JSON API",
    "screens_player.slide_image": "a rendered slide (JPEG)",
    "screens_player.fallback_image": "a rendered slide (JPEG)",
    "screens_player.override_image": "a rendered slide (JPEG)",
    "screens_player.video_file": "a video (MP4)",
}
# Who opens a portal page: the first role in this order that the route allows, so
# each role's navigation and pages are checked; the province admin last (it may
# open nearly everything, and its pages are covered by the routes only it may open).
ROLE_ORDER = (
    (Role.DOOR, "door"),
    (Role.HEALTH, "health"),
    (Role.SUPERVISOR, "supervisor"),
    (Role.SCREENS, "screens_op"),
    (Role.EDITOR, "editor"),
    (Role.MANAGER, "owner"),
    (Role.ADMIN, "admin"),
)


def _walk_plan(app: Any, w: Any) -> dict[str | None, list[tuple[str, str]]]:
    """The pages to open: {user name (None: anonymous): [(endpoint, url)]}; every
    user also opens the home page (its navigation)."""
    plan: dict[str | None, list[tuple[str, str]]] = {None: []}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        if rule.endpoint in iso.SETUP:
            iso.SETUP[rule.endpoint](w)
        values = iso._values(app, rule.endpoint, rule.rule, w)
        values.update(_REAL_VALUES.get(rule.endpoint, lambda w: {})(w))
        with app.test_request_context():
            url = rule.build(values, append_unknown=False)[1]
        if rule.endpoint in iso.PUBLIC:
            plan[None].append((rule.endpoint, url))
            continue
        roles = iso._roles(app, rule.endpoint) or frozenset()
        if iso.OWNER_ONLY & set(values):
            who = "owner"
        else:
            who = next(name for role, name in ROLE_ORDER if role in roles)
        plan.setdefault(who, []).append((rule.endpoint, url))
    for who in plan:
        if who is not None:
            plan[who].insert(0, ("core.index", "/"))
    return plan


def _card_code(w: Any) -> dict[str, str]:
    """A real personal card, so /the/<code> shows the card, not the 404 page."""
    from sqlalchemy.orm import object_session

    from signage.cards import services as cards
    from signage.checkin import services as checkins

    s = object_session(w.org)
    secret = w.__dict__["_app"].config["SECRET_KEY"]
    card = cards.create_card(
        s, checkins.Visitor("Trần Thị Bình", "+84901234568"), secret=secret
    )
    s.commit()
    return {"code": card.code}


# Arguments the isolation walk fills with a value that only reaches the 404 page
# here; the walk uses a real one instead. The e-mailed links (/invite, /reset,
# /register/verify, /account/email/confirm) are walked with an unknown token: their
# "link not valid" page (the forms behind them are /forgot's and /register's).
_REAL_VALUES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "cards.card": _card_code,
}


def test_every_page_has_no_serious_accessibility_violations(
    app,
    live_server,
    browser,
    world,  # noqa: F811  (tests/test_isolation.py's fixture, imported above)
    axe_source,
):
    plan = _walk_plan(app, world)
    found: dict[str, list[str]] = {}
    not_html: list[str] = []
    walked = 0
    for who, pages in plan.items():
        context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        context.add_init_script(axe_source)
        page = context.new_page()
        if who is not None:
            _login(page, live_server.url, world.users[who])
        for endpoint, url in pages:
            resp = page.goto(live_server.url + url)
            kind = resp.headers.get("content-type", "") if resp else ""
            label = f"{who or 'anonymous'} {url} ({endpoint})"
            if not kind.startswith("text/html"):
                not_html.append(f"{label}: {kind}")
                continue
            walked += 1
            found[label] = _run_axe(page)
        context.close()
    print(f"axe walked {walked} pages")
    assert not_html == [], "list these in NOT_PAGES (with the reason) or fix them"
    bad = {k: v for k, v in found.items() if v}
    assert bad == {}, "\n".join(f"{k}: {v}" for k, v in bad.items())
