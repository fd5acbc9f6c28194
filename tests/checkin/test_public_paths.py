"""Public pages for everyone: typed addresses in any case land on the same page,
the phone's language is honoured, and the official header is on every page."""

from __future__ import annotations

import pytest

from signage.campaign.services import contrast
from signage.checkin import verify


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/c", "/C"),
        ("/c/", "/C"),
        ("/C/", "/C"),
        ("/c?t=7kq-2m9", "/C?t=7kq-2m9"),
    ],
)
def test_the_typing_page_in_any_case_or_with_a_slash(client, path, target):
    resp = client.get(path)
    assert resp.status_code == 301
    assert resp.headers["Location"].endswith(target)


def test_lower_case_tokens_and_trailing_slashes_reach_the_venue(client, make_venue):
    venue = make_venue(name="Thư viện tổng hợp")
    t = venue.token
    for path in (f"/c/{t.lower()}", f"/C/{t}/", f"/c/{t.lower()}/"):
        page = client.get(path, follow_redirects=True)
        assert page.status_code == 200, path
        assert "Thư viện tổng hợp" in page.get_data(as_text=True)


def test_an_english_phone_gets_english_and_the_switch_is_remembered(client, make_venue):
    venue = make_venue()
    english = {"Accept-Language": "en-GB,en;q=0.9"}
    page = client.get(f"/C/{venue.token}", headers=english).get_data(as_text=True)
    assert 'lang="en"' in page and "Full name" in page
    vietnamese = {"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"}
    page = client.get(f"/C/{venue.token}", headers=vietnamese).get_data(as_text=True)
    assert 'lang="vi"' in page
    # The switch wins over the phone's language, on later visits too.
    client.get(f"/lang/vi?next=/C/{venue.token}")
    page = client.get(f"/C/{venue.token}", headers=english).get_data(as_text=True)
    assert 'lang="vi"' in page


def test_the_language_a_phone_asks_for_is_werkzeugs_best_match(app):
    """select_locale keeps Werkzeug's answer per header (extensions._best_language):
    the same answer as request.accept_languages, for real phones and odd headers."""
    from signage.extensions import select_locale

    headers = [
        "",
        "en-GB,en;q=0.9",
        "vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7",
        "fr-FR,fr;q=0.9",
        "*",
        "en;q=0,vi;q=0.1",
        "zh-CN,zh;q=0.9,en;q=0.8",
        "en-US;q=abc,,;;",
    ]
    for header in headers * 2:  # the second time from what was kept
        with app.test_request_context(headers={"Accept-Language": header}):
            from flask import request

            expected = request.accept_languages.best_match(["vi", "en"]) or "vi"
            assert select_locale() == expected, header


def test_every_public_page_shows_the_official_header(client, make_venue):
    venue = make_venue()
    for path in (f"/C/{venue.token}", "/C", "/C/ZZZZZZZZZZ"):
        page = client.get(path).get_data(as_text=True)
        assert 'class="official"' in page and "UBND TỈNH / THÀNH PHỐ" in page.upper()


def test_verification_colours_are_readable_and_never_green():
    for _name, colour in verify.COLOURS:
        assert contrast(colour, "#ffffff") >= 4.5, colour
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert not (g > r and g > b), colour
