"""The organisation tree: a parent per organisation, at most MAX_DEPTH levels below
the province, no cycles.

Subtrees are read with a recursive CTE over ``organisations.parent_id`` (indexed):
no path column to keep in step when a unit moves. At province scale (10,000
organisations) the whole tree is one index walk of a few milliseconds; see
bench/province.py for the dashboard figure.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from ..accounts.models import Organisation, Role, User
from ..errors import N_, Invalid, NotFound

MAX_DEPTH = 5  # province → 5 levels (e.g. ward → association → business → ...)


def ancestors(session: Session, org_id: int) -> list[Organisation]:
    """The organisation's ancestors, nearest first (at most MAX_DEPTH queries; a
    corrupt cycle stops the walk instead of looping)."""
    out: list[Organisation] = []
    org = session.get(Organisation, org_id)
    seen = {org_id}
    while org is not None and org.parent_id is not None:
        if org.parent_id in seen or len(out) > MAX_DEPTH:
            break
        seen.add(org.parent_id)
        org = session.get(Organisation, org.parent_id)
        if org is not None:
            out.append(org)
    return out


def depth(session: Session, org_id: int) -> int:
    """1 for a top-level organisation, 2 for its children, ..."""
    return len(ancestors(session, org_id)) + 1


def in_subtree(session: Session, unit_id: int | None, org_id: int) -> bool:
    """Whether ``org_id`` is ``unit_id`` or below it (None: the province root)."""
    if unit_id is None:
        return session.get(Organisation, org_id) is not None
    if unit_id == org_id:
        return True
    return any(a.id == unit_id for a in ancestors(session, org_id))


def subtree(session: Session, unit_id: int | None, province_code: int) -> Any:
    """A CTE (id) of ``unit_id`` and everything below it (None: the whole province)."""
    org = Organisation.__table__
    if unit_id is None:
        return (
            select(org.c.id).where(org.c.province_code == province_code).cte("subtree")
        )
    cte = select(literal(unit_id).label("id")).cte("subtree", recursive=True)
    step = select(org.c.id).join(cte, org.c.parent_id == cte.c.id)
    return cte.union_all(step)


def height(session: Session, org_id: int) -> int:
    """Levels in the subtree of ``org_id`` (1 for a leaf)."""
    org = Organisation.__table__
    cte = select(org.c.id, literal(1).label("level")).where(org.c.id == org_id)
    rec = cte.cte("levels", recursive=True)
    step = (
        select(org.c.id, (rec.c.level + 1).label("level"))
        .join(rec, org.c.parent_id == rec.c.id)
        .where(rec.c.level <= MAX_DEPTH)
    )
    levels = rec.union_all(step)
    return int(session.scalar(select(func.max(levels.c.level))) or 1)


TOO_DEEP = N_("Cây tổ chức tối đa 5 cấp dưới tỉnh: không thể đặt đơn vị cấp trên này.")
CYCLE = N_("Không thể chọn chính tổ chức này hoặc một đơn vị cấp dưới của nó.")


def check_parent(
    session: Session, parent_id: int | None, *, org_id: int | None = None
) -> Organisation | None:
    """The parent, if ``org_id`` (or a new organisation) may hang below it: it
    exists, is not ``org_id`` or one of its descendants, and the depth stays within
    MAX_DEPTH. Raises Invalid / NotFound (field ``parent_id``)."""
    if parent_id is None:
        return None
    parent = session.get(Organisation, parent_id)
    if parent is None:
        raise NotFound(N_("Không tìm thấy đơn vị cấp trên."), field="parent_id")
    if org_id is not None and (
        parent_id == org_id
        or any(a.id == org_id for a in ancestors(session, parent_id))
    ):
        raise Invalid(CYCLE, field="parent_id")
    below = height(session, org_id) if org_id is not None else 1
    if depth(session, parent_id) + below > MAX_DEPTH:
        raise Invalid(TOO_DEEP, field="parent_id")
    return parent


def set_parent(session: Session, org: Organisation, parent_id: int | None) -> None:
    check_parent(session, parent_id, org_id=org.id)
    org.parent_id = parent_id
    session.flush()


def scope_of(user: User) -> int | None:
    """The unit whose subtree the user oversees: a supervisor's own unit, None (the
    province root) for the admin. Anyone else oversees nothing."""
    if user.role is Role.ADMIN:
        return None
    if user.role is Role.SUPERVISOR and user.organisation_id is not None:
        return user.organisation_id
    raise NotFound()


def may_see(session: Session, user: User, org_id: int) -> bool:
    """A supervisor sees its subtree; the admin sees every organisation."""
    try:
        unit = scope_of(user)
    except NotFound:
        return False
    return in_subtree(session, unit, org_id)


def get_in_scope(session: Session, user: User, org_id: int) -> Organisation:
    """The organisation if the user oversees it; NotFound otherwise (also when it
    exists outside their subtree: a 404 never says which)."""
    org = session.get(Organisation, org_id)
    if org is None or not may_see(session, user, org_id):
        raise NotFound(N_("Không tìm thấy tổ chức."))
    return org


def units_for_choice(
    session: Session, province_code: int, *, within: int | None = None
) -> list[tuple[int, str]]:
    """(id, indented name) of the units a registration or an import may name as
    parent, in tree order: organisations with a supervisor account or with members
    already (a business with neither is not a unit), above MAX_DEPTH. ``within``
    restricts it to that unit's subtree (the unit included)."""
    org = Organisation.__table__
    supervised = select(User.organisation_id).where(
        User.role == Role.SUPERVISOR, User.active.is_(True)
    )
    parents = select(org.c.parent_id).where(org.c.parent_id.is_not(None))
    rows = session.execute(
        select(org.c.id, org.c.name, org.c.parent_id)
        .where(org.c.province_code == province_code)
        .where(org.c.active.is_(True))
        .where(org.c.id.in_(supervised) | org.c.id.in_(parents))
        .order_by(org.c.name)
    ).all()
    children: dict[int | None, list[tuple[int, str]]] = {}
    for oid, name, parent in rows:
        children.setdefault(parent, []).append((oid, name))
    out: list[tuple[int, str]] = []

    def walk(parent: int | None, level: int) -> None:
        if level >= MAX_DEPTH:
            return
        for oid, name in children.get(parent, []):
            out.append((oid, "\u2003" * (level - 1) + name))
            walk(oid, level + 1)

    if within is None:
        walk(None, 1)
    else:
        level = depth(session, within)
        top = session.get(Organisation, within)
        if top is not None and level < MAX_DEPTH:
            out.append((top.id, top.name))
            walk(top.id, level + 1)
    return out


def subtree_of_one(org_id: int) -> Any:
    """A CTE (id) holding only ``org_id`` (its own figures, without its members)."""
    return select(literal(org_id).label("id")).cte("one_org")
