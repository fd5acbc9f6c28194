"""Administrative units from the ``vietnam-provinces`` package (2025 two-level units).

Provinces (34) hold wards, communes and special zones directly; codes are stable ints.
Lookups are cached in memory: the data ships with the package and never changes at
run time.
"""

from __future__ import annotations

import re
from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from .text import fold

_PREFIXES = re.compile(
    r"^(phuong|xa|dac khu|thi tran|p|x|tt|f)\s*[.\s]\s*", flags=re.IGNORECASE
)


@cache
def provinces() -> list[Province]:
    return sorted(Province.iter_all(), key=lambda p: fold(p.name))


def province(code: int) -> Province | None:
    try:
        return Province.from_code(ProvinceCode(code))
    except ValueError:
        return None


@cache
def wards(province_code: int) -> list[Ward]:
    try:
        code = ProvinceCode(province_code)
    except ValueError:
        return []
    return sorted(Ward.iter_by_province(code), key=lambda w: fold(w.name))


def ward(code: int | None) -> Ward | None:
    if code is None:
        return None
    try:
        return Ward.from_code(WardCode(code))
    except ValueError:
        return None


def ward_name(code: int | None) -> str:
    w = ward(code)
    return w.name if w else ""


def _bare(name: str) -> str:
    return _PREFIXES.sub("", fold(name)).strip()


@cache
def _index(province_code: int) -> dict[str, list[Ward]]:
    idx: dict[str, list[Ward]] = {}
    for w in wards(province_code):
        for key in {fold(w.name), _bare(w.name)}:
            idx.setdefault(key, []).append(w)
    return idx


def find_ward(text: str, province_code: int) -> Ward | None:
    """Find a ward of the province by code ("19900") or by name.

    Names are matched ignoring case, diacritics and a leading "Phường"/"Xã"/"P."/"X.",
    so "P. Thuận An", "phuong thuan an" and "Thuận An" all match. A bare name that two
    units share (a ward and a commune) is ambiguous and returns None.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        w = ward(int(text))
        return w if w and int(w.province_code) == province_code else None
    idx = _index(province_code)
    hits = idx.get(fold(text)) or idx.get(_bare(text)) or []
    return hits[0] if len(hits) == 1 else None
