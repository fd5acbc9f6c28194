"""Self-registration: an organisation registers itself under a unit of the tree,
verifies its e-mail through a link, then the unit's supervisors (or the province
admin) approve or refuse it with a reason; a unit may approve automatically.

Never reveals whether an e-mail or a tax code is known: :func:`register` hashes the
password and returns the same way whether the address already has an account (the
view then mails that address instead of a verification link), and tax codes only
ever show up to the approver, as likely duplicates.
"""

from __future__ import annotations

import contextlib
import difflib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError
from stdnum.vn import mst

from .. import geo
from ..accounts import services as accounts
from ..accounts.models import Organisation, OrgKind, Role, User
from ..checkin.people import clean_phone, national
from ..db import utcnow
from ..errors import N_, Conflict, DomainError, Gone, Invalid, NotFound
from ..text import clean_text, fold
from . import tree
from .models import Registration, RegState

NAME_MAX = 255
SIMILAR = 0.85  # difflib ratio of folded names counted as "very similar"


def check_tax_code(raw: str) -> str:
    """'' or the compact MST (10 digits, or 13 with a branch suffix) whose check
    digit is right; raises Invalid (field ``tax_code``) otherwise."""
    text = clean_text(raw).replace(" ", "")
    if not text:
        return ""
    try:
        return str(mst.validate(text))
    except ValidationError:
        raise Invalid(
            N_(
                "Mã số thuế không hợp lệ: cần 10 chữ số (hoặc 13 chữ số cho chi "
                "nhánh, dạng 0123456789-001) với chữ số kiểm tra đúng."
            ),
            field="tax_code",
        ) from None


@dataclass
class RegistrationData:
    name: str
    kind: OrgKind
    parent_id: int
    ward_code: int | None
    address: str
    tax_code: str
    contact_name: str
    contact_phone: str
    email: str
    password: str


def _checked(
    session: Session, data: RegistrationData, province_code: int
) -> RegistrationData:
    name = clean_text(data.name)
    if not name:
        raise Invalid(N_("Hãy nhập tên tổ chức."), field="name")
    if len(name) > NAME_MAX:
        raise Invalid(N_("Tên tổ chức tối đa 255 ký tự."), field="name")
    units = dict(tree.units_for_choice(session, province_code))
    if data.parent_id not in units:
        raise Invalid(
            N_("Hãy chọn đơn vị cấp trên trong danh sách."), field="parent_id"
        )
    tree.check_parent(session, data.parent_id)
    ward = geo.ward(data.ward_code)
    if data.ward_code is not None and (
        ward is None or int(ward.province_code) != province_code
    ):
        raise Invalid(N_("Phường/xã không thuộc tỉnh."), field="ward_code")
    contact = clean_text(data.contact_name)
    if not contact:
        raise Invalid(N_("Hãy nhập tên người liên hệ."), field="contact_name")
    try:
        phone = national(clean_phone(data.contact_phone))
    except Invalid as e:
        raise Invalid(e.message, field="contact_phone") from None
    email = accounts.normalise_email(data.email)
    if "@" not in email or len(email) > 255:
        raise Invalid(N_("Địa chỉ email không hợp lệ."), field="email")
    return RegistrationData(
        name=name,
        kind=data.kind,
        parent_id=data.parent_id,
        ward_code=data.ward_code,
        address=clean_text(data.address)[:255],
        tax_code=check_tax_code(data.tax_code),
        contact_name=contact[:120],
        contact_phone=phone[:20],
        email=email,
        password=data.password,
    )


def register(
    session: Session,
    data: RegistrationData,
    *,
    policy: accounts.HashPolicy,
    province_code: int,
) -> tuple[Registration | None, str]:
    """Check the form and keep the registration, unverified. Returns (the
    registration, its e-mail), or (None, the e-mail) when the address already has
    an account: the caller mails that address either way and answers the same.
    Raises Invalid for a bad field (nothing stored)."""
    data = _checked(session, data, province_code)
    password_hash = accounts.hash_password(data.password, policy)  # both paths
    taken = session.scalar(select(User.id).where(User.email == data.email))
    if taken is not None:
        return None, data.email
    reg = Registration(
        state=RegState.UNVERIFIED,
        name=data.name,
        kind=data.kind,
        parent_id=data.parent_id,
        province_code=province_code,
        ward_code=data.ward_code,
        address=data.address,
        tax_code=data.tax_code,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        email=data.email,
        password_hash=password_hash,
        reason="",
    )
    session.add(reg)
    session.flush()
    return reg, data.email


LINK_USED = N_(
    "Liên kết này đã được dùng: email đã được xác nhận. Hồ sơ đang chờ đơn vị "
    "cấp trên duyệt; kết quả sẽ được gửi qua email."
)


def open_link(session: Session, reg_id: int) -> Registration:
    """The registration a verification link names, still waiting for it; changes
    nothing (the page a link opens, before its button is pressed). Raises NotFound,
    or Gone once the link was used."""
    reg = session.get(Registration, reg_id)
    if reg is None:
        raise NotFound(N_("Không tìm thấy hồ sơ đăng ký."))
    if reg.state is not RegState.UNVERIFIED:
        raise Gone(LINK_USED)
    return reg


def verify(
    session: Session, reg_id: int, *, now: datetime | None = None
) -> Registration:
    """Mark the e-mail verified (the link's button was pressed): PENDING, or
    approved at once when the parent unit approves automatically. A second use
    raises Gone."""
    reg = open_link(session, reg_id)
    if not _move(session, reg, RegState.UNVERIFIED, RegState.PENDING):
        raise Gone(LINK_USED)
    reg.verified_at = now or utcnow()
    parent = session.get(Organisation, reg.parent_id)
    if parent is not None and parent.auto_approve:
        # The address got an account meanwhile, or the parent can no longer take
        # members (checked before anything is written): the e-mail is still
        # verified, and the supervisors decide, seeing why.
        with contextlib.suppress(DomainError):
            approve(session, reg, decided_by=None)
    session.flush()
    return reg


# A registration whose e-mail was never verified (its link lasts 48 hours) is
# deleted, password hash, contact and all, this many days after it was made.
UNVERIFIED_KEEP_DAYS = 7


def _move(session: Session, reg: Registration, old: RegState, new: RegState) -> bool:
    """Change the registration's state from ``old`` to ``new`` by a conditional
    UPDATE: of two requests deciding (or verifying) it at once, both having read
    ``old``, the second waits for the first's row lock, then matches nothing and
    gets False (no second organisation, no unique-key error)."""
    if reg.state is not old:
        return False
    result = session.execute(
        update(Registration)
        .where(Registration.id == reg.id, Registration.state == old)
        .values(state=new)
        .execution_options(synchronize_session="fetch")
    )
    return cast(CursorResult[Any], result).rowcount == 1


def purge_unverified(session: Session, *, now: datetime | None = None) -> int:
    """Delete registrations never verified within UNVERIFIED_KEEP_DAYS (personal
    data of someone who never confirmed: nothing to keep it for)."""
    limit = (now or utcnow()) - timedelta(days=UNVERIFIED_KEEP_DAYS)
    result = session.execute(
        delete(Registration).where(
            Registration.state == RegState.UNVERIFIED,
            Registration.created_at < limit,
        )
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def pending_in_scope(session: Session, user: User) -> list[Registration]:
    """Verified registrations waiting for a decision, under the user's subtree."""
    unit = tree.scope_of(user)
    stmt = select(Registration).where(Registration.state == RegState.PENDING)
    if unit is not None:
        ids = tree.subtree(session, unit, 0)
        stmt = stmt.where(Registration.parent_id.in_(select(ids.c.id)))
    return list(session.scalars(stmt.order_by(Registration.verified_at)))


def get_in_scope(session: Session, user: User, reg_id: int) -> Registration:
    reg = session.get(Registration, reg_id)
    if reg is None or not tree.may_see(session, user, reg.parent_id):
        raise NotFound(N_("Không tìm thấy hồ sơ đăng ký."))
    return reg


@dataclass
class Duplicate:
    name: str
    why: str  # "tax_code" | "name"
    org_id: int | None  # None: another registration
    ward_code: int | None


def duplicates(session: Session, reg: Registration) -> list[Duplicate]:
    """Likely duplicates shown to the approver: the same tax code (or the same
    enterprise's head office / branches), or a very similar name in the same ward,
    among organisations and other open registrations."""
    out: list[Duplicate] = []
    seen: set[tuple[str, int | None, str]] = set()

    def add(d: Duplicate) -> None:
        key = (d.why, d.org_id, d.name)
        if key not in seen:
            seen.add(key)
            out.append(d)

    if reg.tax_code:
        head = reg.tax_code[:10]
        for oid, name, ward in session.execute(
            select(Organisation.id, Organisation.name, Organisation.ward_code).where(
                func.substr(Organisation.tax_code, 1, 10) == head
            )
        ):
            add(Duplicate(name, "tax_code", oid, ward))
        for name, ward in session.execute(
            select(Registration.name, Registration.ward_code).where(
                Registration.id != reg.id,
                func.substr(Registration.tax_code, 1, 10) == head,
                Registration.state.in_([RegState.UNVERIFIED, RegState.PENDING]),
            )
        ):
            add(Duplicate(name, "tax_code", None, ward))
    key = fold(reg.name)
    ward_filter = (
        Organisation.ward_code.is_(None)
        if reg.ward_code is None
        else Organisation.ward_code == reg.ward_code
    )
    for oid, name, ward in session.execute(
        select(Organisation.id, Organisation.name, Organisation.ward_code).where(
            ward_filter
        )
    ):
        if _similar(key, fold(name)):
            add(Duplicate(name, "name", oid, ward))
    reg_ward = (
        Registration.ward_code.is_(None)
        if reg.ward_code is None
        else Registration.ward_code == reg.ward_code
    )
    for name, ward in session.execute(
        select(Registration.name, Registration.ward_code).where(
            Registration.id != reg.id,
            reg_ward,
            or_(
                Registration.state == RegState.PENDING,
                Registration.state == RegState.UNVERIFIED,
            ),
        )
    ):
        if _similar(key, fold(name)):
            add(Duplicate(name, "name", None, ward))
    return out


def _similar(a: str, b: str) -> bool:
    """Folded names that are equal, nearly equal (a typo, a word more), or one
    containing the other ("cà phê muối" in "cà phê muối huế")."""
    if not a or not b:
        return False
    short, long = sorted((a, b), key=len)
    if len(short) >= 6 and short in long:
        return True
    return difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR


DECIDED = N_("Hồ sơ này đã được xử lý.")


def approve(session: Session, reg: Registration, *, decided_by: int | None) -> User:
    """Create the organisation under its parent and its manager account (with the
    password chosen at registration). Raises Conflict when the e-mail got an
    account meanwhile (refuse the registration with a reason instead)."""
    if reg.state is not RegState.PENDING:
        raise Conflict(DECIDED)
    if session.scalar(select(User.id).where(User.email == reg.email)) is not None:
        raise Conflict(
            N_("Email này đã có tài khoản. Hãy từ chối hồ sơ và ghi rõ lý do."),
            field="email",
        )
    tree.check_parent(session, reg.parent_id)
    if not _move(session, reg, RegState.PENDING, RegState.APPROVED):
        raise Conflict(DECIDED)
    org = accounts.create_org(
        session,
        accounts.OrgData(
            name=reg.name,
            kind=reg.kind,
            province_code=reg.province_code,
            ward_code=reg.ward_code,
            address=reg.address,
            contact_name=reg.contact_name,
            contact_phone=reg.contact_phone,
        ),
    )
    org.parent_id = reg.parent_id
    org.tax_code = reg.tax_code
    org.contact_email = reg.email
    user = User(
        email=reg.email,
        name=reg.contact_name,
        role=Role.MANAGER,
        organisation_id=org.id,
        password_hash=reg.password_hash,
    )
    session.add(user)
    reg.state = RegState.APPROVED
    reg.decided_at = utcnow()
    reg.decided_by = decided_by
    reg.organisation_id = org.id
    session.flush()
    return user


REASON_MAX = 1000


def refuse(
    session: Session, reg: Registration, *, reason: str, decided_by: int | None
) -> None:
    if reg.state is not RegState.PENDING:
        raise Conflict(DECIDED)
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise Invalid(N_("Hãy ghi lý do từ chối."), field="reason")
    if len(reason) > REASON_MAX:
        raise Invalid(N_("Lý do tối đa 1000 ký tự."), field="reason")
    if not _move(session, reg, RegState.PENDING, RegState.REFUSED):
        raise Conflict(DECIDED)
    reg.reason = reason
    reg.decided_at = utcnow()
    reg.decided_by = decided_by
    reg.password_hash = ""  # never used again
    session.flush()


def set_auto_approve(session: Session, unit: Organisation, on: bool) -> None:
    unit.auto_approve = on
    session.flush()


def supervisors_of(session: Session, unit_id: int) -> list[str]:
    """E-mail addresses of the unit's active supervisors (to tell them a
    registration waits)."""
    return list(
        session.scalars(
            select(User.email).where(
                User.organisation_id == unit_id,
                User.role == Role.SUPERVISOR,
                User.active.is_(True),
            )
        )
    )
