"""Demo data for `make run`: a province admin, organisations, venues, staff accounts.

Idempotent: everything is looked up by a natural key first, so loading twice changes
nothing. Refuses to run in production.
"""

from __future__ import annotations

from dataclasses import dataclass

import click
from flask import Blueprint, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import db
from .accounts import services as accounts
from .accounts.models import Organisation, OrgKind, Role, User
from .campaign import services as campaign
from .campaign.models import SINGLETON, CampaignSettings
from .venues import services as venues
from .venues.models import Venue, VenueCategory

bp = Blueprint("demo", __name__, cli_group="demo")


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    role: Role
    name: str
    org: str | None = None


ORGS = [
    ("Sở Thông tin và Truyền thông", OrgKind.STATE_AGENCY, 19768, "06 Trần Quốc Toản"),
    ("Trường THPT Quốc Học", OrgKind.SCHOOL, 19786, "12 Lê Lợi"),
    ("Công ty CP Du lịch Hương Giang", OrgKind.BUSINESS, 19786, "51 Lê Lợi"),
]
VENUES = {
    "Sở Thông tin và Truyền thông": [
        ("Sảnh chính – Tầng 1", VenueCategory.OFFICE, 60),
        ("Bộ phận một cửa", VenueCategory.OFFICE, 30),
    ],
    "Trường THPT Quốc Học": [
        ("Cổng chính trường Quốc Học", VenueCategory.SCHOOL, 240),
        ("Thư viện", VenueCategory.SCHOOL, 90),
    ],
    "Công ty CP Du lịch Hương Giang": [
        ("Khách sạn Hương Giang – Quầy lễ tân", VenueCategory.HOTEL, 30),
        ("Nhà hàng Cố Đô", VenueCategory.FOOD, 60),
        ("Bến thuyền Tòa Khâm", VenueCategory.TRANSPORT, 120),
    ],
}
USERS = [
    DemoUser("admin@demo.signage.vn", "demo-admin-2026", Role.ADMIN, "Nguyễn Văn An"),
    DemoUser(
        "quanly@demo.signage.vn",
        "demo-quanly-2026",
        Role.MANAGER,
        "Trần Thị Bình",
        "Công ty CP Du lịch Hương Giang",
    ),
    DemoUser(
        "truong@demo.signage.vn",
        "demo-truong-2026",
        Role.MANAGER,
        "H'Hen Niê",
        "Trường THPT Quốc Học",
    ),
    DemoUser(
        "hiephoi@demo.signage.vn", "demo-hiephoi-2026", Role.EDITOR, "Lê Minh Châu"
    ),
    DemoUser("yte@demo.signage.vn", "demo-yte-2026", Role.HEALTH, "Phạm Thu Dung"),
]


# The campaign as Thừa Thiên Huế ran it in 2021 (Hue-S, the 1022 hotline); the
# logo stays the bundled one: the province's emblem is not ours to ship.
CAMPAIGN = {
    "authority": "UBND tỉnh Thừa Thiên Huế",
    "title": "MÃ QR KHAI BÁO Y TẾ – PHẢN HỒI THÔNG TIN",
    "color": "#0b5394",
    "accent": "#b3261e",
    "app_name": "Hue-S",
    "app_url": "https://hues.thuathienhue.gov.vn",
    "alt_staff": "Không có điện thoại thông minh? Nhân viên tại quầy sẽ khai báo "
    "giúp bạn",
    "hotline": "0234 1022",
    "zalo": "Hue-S Thừa Thiên Huế",
    "english": "Scan to check in – no app needed. Staff can help.",
    "privacy": "Tôi đồng ý cung cấp thông tin trên để phòng, chống dịch COVID-19.",
    "privacy_en": "I agree to give these details for COVID-19 prevention.",
    "retention": "Thông tin chỉ dùng để truy vết phòng, chống dịch, chỉ cơ quan y tế "
    "và người quản lý địa điểm được xem, và tự động bị xoá sau {days} ngày.",
    "retention_en": "Your details are used only for contact tracing, seen only by "
    "the health authorities and the venue's manager, and deleted automatically "
    "after {days} days.",
    "start": "2026-11-01",
    "deadline": "2026-12-31",
}


def load(
    session: Session, policy: accounts.HashPolicy, province_code: int
) -> list[DemoUser]:
    """Create whatever demo rows are missing; returns the demo accounts."""
    orgs: dict[str, Organisation] = {}
    for name, kind, ward, address in ORGS:
        org = accounts.org_by_name(session, name)
        if org is None:
            org = accounts.create_org(
                session,
                accounts.OrgData(
                    name=name,
                    kind=kind,
                    province_code=province_code,
                    ward_code=ward if province_code == 46 else None,
                    address=address,
                ),
            )
        orgs[name] = org
    for org_name, rows in VENUES.items():
        org = orgs[org_name]
        for venue_name, category, stay in rows:
            exists = session.scalar(
                select(Venue.id).where(
                    Venue.organisation_id == org.id, Venue.name == venue_name
                )
            )
            if exists is None:
                venues.create_venue(
                    session,
                    org,
                    venues.VenueData(
                        name=venue_name,
                        address=org.address,
                        ward_code=org.ward_code,
                        category=category,
                        stay_minutes=stay,
                    ),
                )
    if session.get(CampaignSettings, SINGLETON) is None:
        campaign.save(session, campaign.clean(CAMPAIGN))
    for u in USERS:
        if session.scalar(select(User.id).where(User.email == u.email)) is None:
            accounts.create_user(
                session,
                email=u.email,
                password=u.password,
                role=u.role,
                name=u.name,
                organisation_id=orgs[u.org].id if u.org else None,
                policy=policy,
            )
    session.flush()
    return USERS


@bp.cli.command("load")
def load_cmd() -> None:
    """Load the demo data (safe to run again) and print the demo accounts."""
    if current_app.config["ENV"] == "production":
        raise click.ClickException("demo data is for development only")
    s = db.session(write=True)
    policy = accounts.HashPolicy.from_config(current_app.config)
    users = load(s, policy, current_app.config["DEFAULT_PROVINCE_CODE"])
    from .screens import demo as screens_demo

    screens_demo.load(s, current_app.config["PUBLIC_BASE_URL"])
    from .checkin import demo as checkin_demo

    checkin_demo.load(s, current_app.config["SECRET_KEY"])
    from .units import demo as units_demo

    supervisors = units_demo.load(
        s, policy, current_app.config["DEFAULT_PROVINCE_CODE"]
    )
    s.commit()
    click.echo("Demo accounts (email / password / role):")
    for u in users:
        click.echo(f"  {u.email:28} {u.password:20} {u.role.value}")
    for email, password, unit in supervisors:
        click.echo(f"  {email:28} {password:20} supervisor ({unit})")
