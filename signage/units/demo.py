"""Demo tree for `make run`: the province → two ward People's Committees and the
Department of Education → businesses and schools, with two supervisor logins.
Idempotent (looked up by name), like signage/demo.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..accounts import services as accounts
from ..accounts.models import OrgKind, Role, User
from ..venues import services as venues
from ..venues.models import Venue, VenueCategory


@dataclass(frozen=True)
class Unit:
    name: str
    kind: OrgKind
    ward: int
    address: str
    parent: str | None


UNITS = [
    Unit("UBND phường Thuận Hóa", OrgKind.STATE_AGENCY, 19786, "1 Lê Lợi", None),
    Unit(
        "UBND phường Phú Xuân", OrgKind.STATE_AGENCY, 19768, "2 Đinh Tiên Hoàng", None
    ),
    Unit("Sở Giáo dục và Đào tạo", OrgKind.STATE_AGENCY, 19786, "22 Lê Lợi", None),
    # existing demo organisations (signage/demo.py) placed in the tree
    Unit(
        "Công ty CP Du lịch Hương Giang",
        OrgKind.BUSINESS,
        19786,
        "51 Lê Lợi",
        "UBND phường Thuận Hóa",
    ),
    Unit(
        "Trường THPT Quốc Học",
        OrgKind.SCHOOL,
        19786,
        "12 Lê Lợi",
        "Sở Giáo dục và Đào tạo",
    ),
    Unit(
        "Nhà hàng Cung Đình",
        OrgKind.BUSINESS,
        19786,
        "9 Hàng Bè",
        "UBND phường Thuận Hóa",
    ),
    Unit(
        "Chợ Đông Ba – Ban quản lý",
        OrgKind.BUSINESS,
        19768,
        "Trần Hưng Đạo",
        "UBND phường Phú Xuân",
    ),
    Unit(
        "Trường THCS Nguyễn Tri Phương",
        OrgKind.SCHOOL,
        19786,
        "26 Lý Thường Kiệt",
        "Sở Giáo dục và Đào tạo",
    ),
]
VENUES = {
    "Chợ Đông Ba – Ban quản lý": [("Cổng chính chợ Đông Ba", VenueCategory.MARKET, 60)],
    "Trường THCS Nguyễn Tri Phương": [("Cổng trường", VenueCategory.SCHOOL, 240)],
}
SUPERVISORS = [
    (
        "phuong@demo.signage.vn",
        "demo-phuong-2026",
        "Võ Thị Hạnh",
        "UBND phường Thuận Hóa",
    ),
    ("sogd@demo.signage.vn", "demo-sogd-2026", "Hồ Văn Khoa", "Sở Giáo dục và Đào tạo"),
]


def load(
    session: Session, policy: accounts.HashPolicy, province_code: int
) -> list[tuple[str, str, str]]:
    """Create what is missing; returns the supervisor logins (e-mail, password,
    unit)."""
    ids: dict[str, int] = {}
    for u in UNITS:
        org = accounts.org_by_name(session, u.name)
        if org is None:
            org = accounts.create_org(
                session,
                accounts.OrgData(
                    name=u.name,
                    kind=u.kind,
                    province_code=province_code,
                    ward_code=u.ward if province_code == 46 else None,
                    address=u.address,
                ),
            )
        if u.parent and org.parent_id is None:
            org.parent_id = ids[u.parent]
        ids[u.name] = org.id
        for name, category, stay in VENUES.get(u.name, []):
            found = session.scalar(
                select(Venue.id).where(
                    Venue.organisation_id == org.id, Venue.name == name
                )
            )
            if found is None:
                venues.create_venue(
                    session,
                    org,
                    venues.VenueData(
                        name=name,
                        address=u.address,
                        ward_code=org.ward_code,
                        category=category,
                        stay_minutes=stay,
                    ),
                )
    for email, password, name, unit in SUPERVISORS:
        if session.scalar(select(User.id).where(User.email == email)) is None:
            accounts.create_user(
                session,
                email=email,
                password=password,
                role=Role.SUPERVISOR,
                name=name,
                organisation_id=ids[unit],
                policy=policy,
            )
    session.flush()
    return [(e, p, u) for e, p, _n, u in SUPERVISORS]
