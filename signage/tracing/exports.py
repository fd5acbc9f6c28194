"""The tracing CSVs' columns, one definition for the request and the job that write
them (a small export streams from the request; a large one is a job)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .. import timefmt
from ..checkin import people
from ..checkin.models import CheckIn
from .services import Person

PRESENCE_FILE = "co-mat-tai-dia-diem.csv"
PRESENCE_HEADER: list[object] = ["ho_ten", "dien_thoai", "vao", "ra"]
CONTACTS_FILE = "tiep-xuc.csv"
CONTACTS_HEADER: list[object] = [
    "ho_ten",
    "dien_thoai",
    "so_lan_trung",
    "tong_phut_trung",
    "lan_dau",
]


def presence_rows(rows: Iterable[CheckIn]) -> Iterator[list[object]]:
    for r in rows:
        yield [
            r.name,
            people.national(r.phone),
            timefmt.fmt_datetime(r.checked_in_at),
            timefmt.fmt_datetime(r.left_at),
        ]


def contact_rows(persons: Iterable[Person]) -> Iterator[list[object]]:
    for p in persons:
        yield [
            p.name,
            people.national(p.phone),
            p.visits,
            int(p.overlap.total_seconds() // 60),
            timefmt.fmt_datetime(p.first_seen),
        ]
