"""What a visitor types: full name and phone number, checked and normalised.

Names come from every keyboard in the province: Vietnamese with its stacked marks,
Ede, Jarai and other minority names (H'Hen Niê, Y Moan Ênuôl, Êčăm) with apostrophes
and Latin letters beyond Vietnamese. So the rule is not an alphabet but hygiene: NFC,
no invisible characters, a sane number of combining marks, 2-100 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers

from ..errors import Invalid
from ..text import fold, has_invisible
from .models import NAME_MAX

NAME_MIN = 2
# After NFC, Vietnamese needs at most one combining mark per letter (a few letters
# outside the precomposed set need two); more is "Zalgo" text meant to break layouts.
MAX_MARKS_PER_CHAR = 2
PHONE_MAX_INPUT = 40
DEFAULT_REGION = "VN"
_WS = re.compile(r"\s+")
# What nearly every visitor types: a mobile number written 0xxxxxxxxx. Checked against
# the library's own metadata for Vietnamese mobiles, it needs no full parse (which
# costs more than the rest of the check-in's input handling together).
_LOCAL = re.compile(r"0(\d{9})")
_VN_META = phonenumbers.PhoneMetadata.metadata_for_region(DEFAULT_REGION)
_VN_MOBILE = _VN_META.mobile if _VN_META is not None else None
_VN_MOBILE_9 = (
    re.compile(_VN_MOBILE.national_number_pattern)
    if _VN_MOBILE is not None
    and _VN_MOBILE.national_number_pattern
    and 9 in (_VN_MOBILE.possible_length or ())
    else None
)


def N_(message: str) -> str:
    """Marks a message for the catalogue; views translate it when they show it."""
    return message


def clean_name(raw: str) -> str:
    """The name as stored: NFC, single spaces; raises Invalid with a message."""
    text = unicodedata.normalize("NFC", raw or "")
    if has_invisible(text.replace("\t", " ").replace("\n", " ").replace("\r", " ")):
        raise Invalid(N_("Họ tên có ký tự ẩn hoặc ký tự điều khiển."), field="name")
    text = _WS.sub(" ", text).strip()
    if len(text) < NAME_MIN:
        raise Invalid(N_("Hãy nhập họ và tên (ít nhất 2 ký tự)."), field="name")
    if len(text) > NAME_MAX:
        raise Invalid(N_("Họ tên tối đa 100 ký tự."), field="name")
    run = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        if run > MAX_MARKS_PER_CHAR:
            raise Invalid(N_("Họ tên có quá nhiều dấu chồng lên nhau."), field="name")
    if unicodedata.combining(text[0]):
        raise Invalid(N_("Họ tên không được bắt đầu bằng dấu."), field="name")
    if not any(ch.isalpha() for ch in text):
        raise Invalid(N_("Họ tên phải có chữ cái."), field="name")
    return text


def name_key(name: str) -> str:
    return fold(name)[:NAME_MAX]


def clean_phone(raw: str) -> str:
    """E.164 text ('+84901234567') from any common writing; raises Invalid.

    Vietnamese numbers may be written 0901234567, +84 90 123 4567, 84-90-123-4567 or
    in full-width digits; a visitor's foreign number is accepted with its '+' code.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise Invalid(N_("Hãy nhập số điện thoại."), field="phone")
    if len(text) > PHONE_MAX_INPUT or has_invisible(text):
        raise Invalid(N_("Số điện thoại không hợp lệ."), field="phone")
    local = _LOCAL.fullmatch(text)
    if local and _VN_MOBILE_9 and _VN_MOBILE_9.fullmatch(local.group(1)):
        return "+84" + local.group(1)
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise Invalid(
            N_("Số điện thoại không hợp lệ. Ví dụ: 0901234567."), field="phone"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise Invalid(
            N_(
                "Số điện thoại không đúng (thiếu hoặc thừa chữ số?). Ví dụ: 0901234567."
            ),
            field="phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national(e164: str) -> str:
    """'+84901234567' -> '0901234567'; other countries keep their '+' form."""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164


def mask(e164: str) -> str:
    """'+84901234567' -> '090•••4567': enough for a person to recognise, no more."""
    shown = national(e164)
    if len(shown) < 8:
        return "•" * len(shown)
    return f"{shown[:3]}•••{shown[-4:]}"


def phone_hash(secret: str, e164: str) -> str:
    return hmac.new(secret.encode(), e164.encode(), hashlib.sha256).hexdigest()


def name_hash(secret: str, name: str) -> str:
    """HMAC-SHA256 of the name as stored (NFC, single spaces; not folded: "Văn An"
    and "Văn Ân" are two people): tells the people sharing a phone apart without
    comparing names, which are encrypted (a fresh nonce each: never equal in SQL)."""
    msg = b"name\0" + name.encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def initials(name: str) -> str:
    """'Nguyễn Văn An' -> 'N. V. A.': what a confirmation shows to anyone but the
    phone that checked in."""
    return " ".join(word[0].upper() + "." for word in name.split() if word)
