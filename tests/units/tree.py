"""A small tree for the units tests and the browser walk: the province → two ward
committees (each with a supervisor) → businesses and a school; the Department of
Education → a school."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from signage.accounts.models import Organisation, OrgKind, Role, User
from signage.posters.models import BoardDownload
from signage.units import tree

WARD_A, WARD_B = 19786, 19768


@dataclass
class Tree:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    venues: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def hue(session, make_org, make_venue, make_user) -> Tree:
    t = Tree()

    def org(key: str, name: str, kind: OrgKind, parent: str | None, ward: int) -> None:
        o = make_org(name=name, kind=kind, ward_code=ward)
        if parent:
            tree.set_parent(session, o, t.orgs[parent].id)
            session.commit()
        t.orgs[key] = o

    org("ward_a", "UBND phường Thuận Hóa", OrgKind.STATE_AGENCY, None, WARD_A)
    org("ward_b", "UBND phường Phú Xuân", OrgKind.STATE_AGENCY, None, WARD_B)
    org("edu", "Sở Giáo dục và Đào tạo", OrgKind.STATE_AGENCY, None, WARD_A)
    org("hotel", "Khách sạn Sông Hương", OrgKind.BUSINESS, "ward_a", WARD_A)
    org("cafe", "Cà phê Muối", OrgKind.BUSINESS, "ward_a", WARD_A)
    org("market", "Chợ Đông Ba", OrgKind.BUSINESS, "ward_b", WARD_B)
    org("school", "Trường THPT Hai Bà Trưng", OrgKind.SCHOOL, "edu", WARD_A)
    t.venues["lobby"] = make_venue(t.orgs["hotel"], name="Sảnh khách sạn")
    t.venues["pool"] = make_venue(t.orgs["hotel"], name="Hồ bơi")
    t.venues["stall"] = make_venue(t.orgs["market"], name="Cổng chợ")
    t.venues["gate"] = make_venue(t.orgs["school"], name="Cổng trường")
    for v in (t.venues["lobby"], t.venues["gate"]):
        session.add(
            BoardDownload(venue_id=v.id, organisation_id=v.organisation_id, size="a4")
        )
    session.commit()
    t.users["sup_a"] = make_user(Role.SUPERVISOR, t.orgs["ward_a"])
    t.users["sup_b"] = make_user(Role.SUPERVISOR, t.orgs["ward_b"])
    t.users["sup_edu"] = make_user(Role.SUPERVISOR, t.orgs["edu"])
    t.users["admin"] = make_user(Role.ADMIN)
    t.users["hotel"] = make_user(Role.MANAGER, t.orgs["hotel"])
    return t
