"""The Content-Security-Policy allows scripts from our own files only: the pages that
use JavaScript still work under it and raise no violation."""

from __future__ import annotations

from signage.accounts.models import Role

from ..helpers import PASSWORD

# Collects every violation the page reports (an inline script or handler blocked).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _violations(page):
    return page.evaluate("window.__csp")


def test_pages_with_scripts_raise_no_csp_violation(
    live_server, browser, make_org, make_venue, make_user
):
    org = make_org(name="Chợ Đông Ba")
    venue = make_venue(org, name="Cổng chính")
    token = venue.token
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.add_init_script(WATCH)
    page = context.new_page()
    seen: list[str] = []

    # A resident checks in: the confirmation's live clock runs from a file.
    page.goto(f"{live_server.url}/C/{token}")
    page.fill("#name", "Trần Văn Bình")
    page.fill("#phone", "0912 345 678")
    page.check("input[name=consent]")
    page.click("button.btn")
    page.wait_for_url("**/ok/**")
    first = page.inner_text("#clock")
    page.wait_for_function(
        "t => document.getElementById('clock').textContent !== t", arg=first
    )
    seen += _violations(page)

    # A card page asks before deleting (data-confirm, not onsubmit).
    page.goto(live_server.url + "/the")
    page.fill("#name", "Trần Văn Bình")
    page.fill("#phone", "0912 345 678")
    page.check("input[name=consent]")
    page.click("button[type=submit]")
    page.wait_for_selector(".qr svg")
    page.once("dialog", lambda d: d.dismiss())
    page.click("button.danger")
    assert page.locator(".qr svg").is_visible()  # dismissed: still there
    seen += _violations(page)

    # The manager's venue page: rotating the token asks first; dismissed, nothing
    # changes.
    page.goto(live_server.url + "/login")
    page.fill("#email", make_user(Role.MANAGER, org).email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/orgs/{org.id}/")
    page.goto(f"{live_server.url}/orgs/{org.id}/venues/{venue.id}")
    asked: list[str] = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click("form[data-confirm] button")
    page.wait_for_timeout(200)
    assert asked and "Cấp mã mới" in asked[0]
    assert token in page.inner_text("main")
    seen += _violations(page)
    context.close()
    assert seen == []
