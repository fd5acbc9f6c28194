"""The phone rule's shortcut for 0xxxxxxxxx agrees with the full phonenumbers parse."""

from __future__ import annotations

import phonenumbers
from hypothesis import example, given, settings
from hypothesis import strategies as st

from signage.checkin import people
from signage.errors import Invalid


def _full_parse(raw: str) -> str | None:
    """What clean_phone answered before the shortcut: E.164, or None if refused."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean(raw: str) -> str | None:
    try:
        return people.clean_phone(raw)
    except Invalid:
        return None


@settings(max_examples=3000, deadline=None)
@given(st.from_regex(r"\A0[0-9]{9}\Z"))
@example("0901234567")  # Viettel/MobiFone style mobiles
@example("0321234567")
@example("0561234567")
@example("0891234567")
@example("0991234567")
@example("0201234567")  # not a mobile: left to the full parse
@example("0000000000")
def test_local_mobile_shortcut_matches_full_parse(raw: str) -> None:
    assert _clean(raw) == _full_parse(raw)


def test_shortcut_accepts_every_mobile_prefix_the_library_accepts() -> None:
    # One number per three-digit prefix: the shortcut and the library agree on all 100.
    accepted = 0
    for prefix in range(100):
        raw = f"0{prefix:02d}1234567"
        assert _clean(raw) == _full_parse(raw), raw
        accepted += _clean(raw) is not None
    assert accepted > 30  # the shortcut is not refusing real mobiles
