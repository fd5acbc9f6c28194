"""Organisation imports: what the database knows for the parser, and the writes
(organisations under their parents, their managers invited by e-mail)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..accounts import links
from ..accounts import services as accounts
from ..accounts.models import Invitation, Organisation, Role, User
from ..db import utcnow
from ..errors import N_, Conflict
from ..text import fold
from . import tree
from .orgimport import Known, OrgRowData


def known_for(session: Session, user: User, province_code: int) -> Known:
    """The units the user may name as parent (its subtree; the whole province for
    the admin), the other organisations' names (for a clear "outside your scope"),
    the units at the deepest level, and the e-mail addresses already taken."""
    scope = tree.scope_of(user)
    parent: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for oid, name, pid in session.execute(
        select(Organisation.id, Organisation.name, Organisation.parent_id).where(
            Organisation.province_code == province_code
        )
    ):
        parent[oid], names[oid] = pid, name

    def depth(oid: int) -> int:
        n, node = 1, parent.get(oid)
        while node is not None and n <= tree.MAX_DEPTH:
            n, node = n + 1, parent.get(node)
        return n

    def under_scope(oid: int) -> bool:
        if scope is None:
            return True
        node: int | None = oid
        for _ in range(tree.MAX_DEPTH + 1):
            if node is None:
                return False
            if node == scope:
                return True
            node = parent.get(node)
        return False

    in_scope: dict[str, int] = {}
    elsewhere: set[str] = set()
    deep: set[int] = set()
    for oid, name in names.items():
        keys = (fold(name), str(oid))
        if under_scope(oid):
            for k in keys:
                in_scope.setdefault(k, oid)
            if depth(oid) >= tree.MAX_DEPTH:
                deep.add(oid)
        else:
            elsewhere.update(keys)
    taken = set(session.scalars(select(func.lower(User.email))))
    # An address with a live invitation is taken too: inviting it again would
    # revoke the first organisation's invitation.
    taken.update(
        session.scalars(
            select(func.lower(Invitation.email)).where(
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.expires_at > utcnow(),
            )
        )
    )
    return Known(
        province_code=province_code,
        in_scope=in_scope,
        elsewhere=elsewhere - set(in_scope),
        deep=deep,
        taken_emails=taken,
        default_parent=scope,
    )


def create_orgs(
    session: Session,
    rows: list[OrgRowData],
    *,
    province_code: int,
    invited_by: int | None,
    made: list[Organisation] | None = None,
) -> int:
    """Create the organisations (flushed) and invite each manager; returns how many
    invitations were queued. The parent's depth is checked again (the tree may have
    changed since the preview); a failure raises and the caller's transaction rolls
    everything back."""
    invited = 0
    for row in rows:
        tree.check_parent(session, row.parent_id)
        org = accounts.create_org(
            session,
            accounts.OrgData(
                name=row.name,
                kind=row.kind,
                province_code=province_code,
                ward_code=row.ward_code,
                address=row.address,
                contact_name=row.contact_name,
                contact_phone=row.contact_phone,
            ),
        )
        org.parent_id = row.parent_id
        org.tax_code = row.tax_code
        org.contact_email = row.manager_email
        if made is not None:
            made.append(org)
        if row.manager_email:
            invite_manager(
                session, org_id=org.id, email=row.manager_email, invited_by=invited_by
            )
            invited += 1
    session.flush()
    return invited


def invite_manager(
    session: Session, *, org_id: int, email: str, invited_by: int | None
) -> None:
    """Invite the organisation's manager by e-mail (signage.accounts' invitation:
    a link to choose a password, valid 7 days). An address with a live invitation
    into another organisation is refused (inviting it again would withdraw that
    one, perhaps made by another unit); one into this organisation is renewed."""
    address = links.checked_email(email)
    elsewhere = session.scalar(
        select(Invitation.id).where(
            Invitation.email == address,
            Invitation.organisation_id != org_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > utcnow(),
        )
    )
    if elsewhere is not None:
        raise Conflict(
            N_("Email này đang có lời mời vào một tổ chức khác."), field="email"
        )
    links.invite(
        session,
        email=address,
        role=Role.MANAGER,
        organisation_id=org_id,
        invited_by=session.get(User, invited_by) if invited_by is not None else None,
    )
