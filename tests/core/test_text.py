"""Text hygiene: NFC, invisible characters, real names, oversize bodies."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signage.text import clean_text, fold, has_invisible, wrap

NAMES = ["H'Hen Niê", "Êčăm", "Y Moan Ênuôl", "Nguyễn Thị Đào", "Hồ Xuân Hương"]


@pytest.mark.parametrize("name", NAMES)
def test_real_names_pass_unchanged(name):
    assert clean_text(name) == name
    assert clean_text(unicodedata.normalize("NFD", name)) == name
    assert not has_invisible(name)


def test_invisible_and_control_characters_are_removed():
    spoof = "Qu\u200bán\u202e cà\u00adphê\x00\x1b\ufeff"
    assert clean_text(spoof) == "Quán càphê"
    assert has_invisible(spoof)


def test_whitespace_is_collapsed_and_lines_kept_when_asked():
    assert clean_text("  Trường \t  Hai   Bà Trưng \n") == "Trường Hai Bà Trưng"
    assert clean_text("dòng 1  \r\n dòng 2\r", multiline=True) == "dòng 1\ndòng 2"


def test_fold_ignores_case_and_diacritics():
    assert fold("Phường THUẬN Hóa") == "phuong thuan hoa"
    assert fold("Đông Ba") == "dong ba"


@given(st.text())
def test_clean_text_is_nfc_idempotent_and_visible(value):
    out = clean_text(value)
    assert unicodedata.is_normalized("NFC", out)
    assert clean_text(out) == out
    assert not has_invisible(out)


def test_oversize_body_is_413_in_vietnamese(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = client.post(
        "/login", data=b"x" * (limit + 1), content_type="application/octet-stream"
    )
    assert resp.status_code == 413
    assert "quá lớn" in resp.get_data(as_text=True)


def test_venue_form_normalises_names(client, session, make_org, make_user):
    from signage.accounts.models import Role
    from signage.venues.models import Venue

    from ..helpers import login, post_form

    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    nfd = unicodedata.normalize("NFD", "Nhà văn hóa H'Hen Niê\u200b")
    resp = post_form(
        client,
        f"/orgs/{org.id}/venues/new",
        {
            "name": nfd,
            "address": "1 Lê Lợi",
            "ward_code": "19786",
            "category": "office",
            "default_stay_minutes": "30",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    venue = session.query(Venue).filter_by(organisation_id=org.id).one()
    assert venue.name == "Nhà văn hóa H'Hen Niê"


def test_wrap_breaks_on_words_and_keeps_paragraphs() -> None:
    # One unit per character: the routine only knows widths through the callable.
    assert wrap("một hai ba bốn", len, 7) == ["một hai", "ba bốn"]
    assert wrap("đầu\n\ncuối", len, 10) == ["đầu", "", "cuối"]
    assert wrap("   ", len, 10) == []


def test_wrap_cuts_a_word_longer_than_the_line() -> None:
    lines = wrap("xem https://example.vn/abcdefghij nhé", len, 10)
    assert lines == ["xem", "https://ex", "ample.vn/a", "bcdefghij", "nhé"]
    assert all(len(line) <= 10 for line in lines)
