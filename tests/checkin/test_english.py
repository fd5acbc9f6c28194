"""The English switch: the check-in pages read in English from the catalogue."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import signage.checkin

CATALOGUE = Path(signage.checkin.__file__).parent / "translations/en/LC_MESSAGES"


@pytest.fixture(autouse=True, scope="module")
def compiled_catalogue() -> None:
    """`make translations` compiles catalogues; a bare pytest run may not have."""
    po, mo = CATALOGUE / "messages.po", CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as src, mo.open("wb") as out:
            write_mo(out, read_po(src, locale="en"))


def test_every_message_has_an_english_translation():
    with (CATALOGUE / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="en")
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert untranslated == []


def test_scan_and_errors_in_english(client, make_venue, scan):
    venue = make_venue()
    client.set_cookie("lang", "en")
    _resp, hidden = scan(client, venue)
    page = _resp.get_data(as_text=True)
    assert "You are checking in at" in page and "28 days" in page
    resp = client.post(
        f"/C/{venue.token}", data={"name": "A", "phone": "123", **hidden}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Enter your full name" in page and "Tick the consent box" in page
    # The Vietnamese page is still Vietnamese (the cached page is per language).
    client.set_cookie("lang", "vi")
    assert "Bạn đang khai báo tại" in client.get(f"/C/{venue.token}").get_data(
        as_text=True
    )


def test_confirmation_dates_follow_the_page_language(
    client, session, make_venue, check_in
):
    from babel.dates import format_date

    from signage.checkin.models import CheckIn

    venue = make_venue()
    for lang in ("vi", "en"):
        client.set_cookie("lang", lang)
        resp = check_in(client, venue, phone=f"09012345{6 + (lang == 'en')}8")
        assert resp.status_code == 303
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        row = session.query(CheckIn).order_by(CheckIn.id.desc()).first()
        local = row.checked_in_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        if lang == "vi":
            assert f'id="date">{local:%d/%m/%Y}<' in page
            assert f"{local:%H:%M %d/%m/%Y}" in page  # the time of the check-in
        else:
            assert f'id="date">{format_date(local, "medium", locale="en")}<' in page
            assert f"{local:%d/%m/%Y}" not in page


def test_a_stay_that_ends_after_midnight_shows_its_date(
    client, session, make_venue, check_in
):
    from datetime import UTC, datetime, timedelta

    from signage.checkin.models import CheckIn

    venue = make_venue(stay_minutes=240)
    resp = check_in(client, venue)
    row = session.query(CheckIn).order_by(CheckIn.id.desc()).first()
    start = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)  # 22:30 in Huế
    row.checked_in_at, row.auto_out_at = start, start + timedelta(hours=4)
    session.commit()
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "tự động lúc 02:30 02/12/2026" in page
