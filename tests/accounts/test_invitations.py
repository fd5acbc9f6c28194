"""Pending invitations withdrawn or sent again by a manager (its organisation's) or
the admin (any), audited; managers invite screen operators and door staff of their
own organisation, never a role above their own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from signage.accounts import links
from signage.accounts.models import Invitation, Role, User
from signage.audit import AuditEvent

from ..helpers import PASSWORD, csrf_token, login, post_form
from ..mailserver import link_path
from ..mailserver import links as links_of

NEW_PASSWORD = "a brand new passphrase"


def _invite(client, org_id, email, role="door"):
    resp = post_form(client, f"/orgs/{org_id}/team", {"email": email, "role": role})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def _links(smtp_server, address):
    """The invitation links of every mail to ``address``, oldest first."""
    return [
        link_path(u)
        for m in smtp_server.to(address)
        for u in links_of(m)
        if "/invite/" in u
    ]


def _pending(session, email):
    return session.scalar(
        select(Invitation)
        .where(Invitation.email == email, Invitation.revoked_at.is_(None))
        .execution_options(populate_existing=True)
    )


def _post(client, url, page):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def test_a_manager_withdraws_a_pending_invitation_and_its_link_says_so(
    app, client, session, smtp_server, make_org, make_user
):
    org = make_org()
    manager = make_user(Role.MANAGER, org)
    login(client, manager)
    _invite(client, org.id, "cua@example.vn")
    (path,) = _links(smtp_server, "cua@example.vn")
    inv = _pending(session, "cua@example.vn")
    team = f"/orgs/{org.id}/team"
    assert f"/team/invitations/{inv.id}/withdraw" in client.get(team).get_data(True)

    resp = _post(client, f"{team}/invitations/{inv.id}/withdraw", team)
    assert resp.status_code == 303
    page = client.get(team).get_data(as_text=True)
    assert "Đã thu hồi lời mời." in page and "cua@example.vn" not in page

    invitee = app.test_client()
    gone = invitee.get(path)
    assert gone.status_code == 410
    assert "Lời mời này đã bị thu hồi" in gone.get_data(as_text=True)
    invitee.set_cookie("lang", "en")
    assert "This invitation was withdrawn" in invitee.get(path).get_data(True)
    refused = post_form(
        invitee,
        path,
        {"name": "Ai Đó", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/forgot",
    )
    assert refused.status_code == 410
    assert session.scalar(select(User).where(User.email == "cua@example.vn")) is None

    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.invitation.withdraw")
    ).all()
    assert event.user_id == manager.id and event.target == f"invitation:{inv.id}"
    # Twice: a clear message, nothing changes.
    again = _post(client, f"{team}/invitations/{inv.id}/withdraw", team)
    assert again.status_code == 303
    assert "đã bị thu hồi hoặc đã được gửi lại" in client.get(team).get_data(True)


def test_resending_mails_a_new_link_and_retires_the_old_one(
    app, client, session, smtp_server, make_org, make_user
):
    org = make_org()
    admin = make_user(Role.ADMIN)
    login(client, make_user(Role.MANAGER, org))
    _invite(client, org.id, "manhinh@example.vn", role="screens")
    first = _pending(session, "manhinh@example.vn")
    # The admin resends it from the users page.
    client = app.test_client()
    login(client, admin)
    assert f"/admin/users/invitations/{first.id}/resend" in client.get(
        "/admin/users"
    ).get_data(True)
    resp = _post(client, f"/admin/users/invitations/{first.id}/resend", "/admin/users")
    assert resp.status_code == 303
    old, new = _links(smtp_server, "manhinh@example.vn")
    assert old != new
    second = _pending(session, "manhinh@example.vn")
    assert second.id != first.id and second.role is Role.SCREENS
    assert second.organisation_id == org.id

    invitee = app.test_client()
    assert invitee.get(old).status_code == 410
    resp = post_form(
        invitee,
        new,
        {"name": "Vận Hành", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    user = session.scalar(select(User).where(User.email == "manhinh@example.vn"))
    assert user.role is Role.SCREENS and user.organisation_id == org.id
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.invitation.resend")
    ).all()
    assert event.user_id == admin.id and event.detail_dict["new"] == (
        f"invitation:{second.id}"
    )
    # A used invitation cannot be resent or withdrawn.
    resp = _post(
        client, f"/admin/users/invitations/{second.id}/withdraw", "/admin/users"
    )
    assert resp.status_code == 303
    assert "đã được dùng" in client.get("/admin/users").get_data(as_text=True)


def test_another_organisations_manager_cannot_touch_an_invitation(
    app, client, session, smtp_server, make_org, make_user
):
    org, other = make_org(), make_org()
    login(client, make_user(Role.MANAGER, org))
    _invite(client, org.id, "a@example.vn")
    inv = _pending(session, "a@example.vn")
    client = app.test_client()
    login(client, make_user(Role.MANAGER, other))
    for step in ("withdraw", "resend"):
        for org_id in (org.id, other.id):
            resp = _post(
                client,
                f"/orgs/{org_id}/team/invitations/{inv.id}/{step}",
                f"/orgs/{other.id}/team",
            )
            assert resp.status_code == 404
    resp = _post(
        client,
        f"/orgs/{other.id}/team/invitations/999999/withdraw",
        f"/orgs/{other.id}/team",
    )
    assert resp.status_code == 404
    assert _pending(session, "a@example.vn").id == inv.id
    assert len(_links(smtp_server, "a@example.vn")) == 1


def test_a_manager_invites_screen_operators_and_door_staff_of_its_organisation(
    client, session, smtp_server, make_org, make_user
):
    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    page = client.get(f"/orgs/{org.id}/team").get_data(as_text=True)
    assert 'value="screens"' in page and 'value="door"' in page
    assert 'value="admin"' not in page and 'value="supervisor"' not in page
    _invite(client, org.id, "tv@example.vn", role="screens")
    _invite(client, org.id, "cong@example.vn", role="door")
    assert _pending(session, "tv@example.vn").role is Role.SCREENS
    assert _pending(session, "cong@example.vn").role is Role.DOOR


@pytest.mark.parametrize(
    "role", [Role.ADMIN, Role.SUPERVISOR, Role.HEALTH, Role.EDITOR]
)
def test_a_manager_cannot_grant_a_role_above_its_own(
    client, session, smtp_server, make_org, make_user, role
):
    org = make_org()
    manager = make_user(Role.MANAGER, org)
    assert not links.can_invite(manager, role, org.id)
    login(client, manager)
    resp = post_form(
        client, f"/orgs/{org.id}/team", {"email": "up@example.vn", "role": role.value}
    )
    assert resp.status_code == 422
    assert session.scalar(select(Invitation.id)) is None
    assert not smtp_server.messages


def test_who_may_invite_what():
    def user(role, org_id=None):
        return User(email="x@example.vn", role=role, organisation_id=org_id)

    manager = user(Role.MANAGER, 1)
    for role in Role:
        mine = links.can_invite(manager, role, 1)
        assert mine == (role in {Role.MANAGER, Role.SCREENS, Role.DOOR}), role
        assert not links.can_invite(manager, role, 2)  # never another organisation
        assert not links.can_invite(manager, role, None)
        assert links.can_invite(user(Role.ADMIN), role, None)
    for role in (Role.SCREENS, Role.DOOR, Role.EDITOR, Role.HEALTH):
        assert not links.can_invite(user(role, 1), Role.DOOR, 1)
    assert PASSWORD  # the helpers' password is what make_user sets


def test_a_manager_grants_its_members_the_organisations_roles_only(
    app, client, session, make_org, make_user
):
    org = make_org()
    manager = make_user(Role.MANAGER, org)
    door = make_user(Role.DOOR, org)
    outsider = make_user(Role.DOOR, make_org())
    login(client, manager)
    team = f"/orgs/{org.id}/team"

    def grant(member_id, role):
        return client.post(
            f"{team}/{member_id}/role",
            data={"csrf_token": csrf_token(client, team), "role": role},
        )

    assert grant(door.id, "screens").status_code == 303
    session.refresh(door)
    assert door.role is Role.SCREENS
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.role.grant")
    ).all()
    assert event.detail_dict == {"before": "door", "after": "screens"}
    for role in ("admin", "supervisor", "health", "editor", "nonsense", ""):
        assert grant(door.id, role).status_code == 303
        session.refresh(door)
        assert door.role is Role.SCREENS, role
    assert "không thể giao vai trò này" in client.get(team).get_data(True)
    assert grant(manager.id, "door").status_code == 303  # not oneself
    session.refresh(manager)
    assert manager.role is Role.MANAGER
    assert grant(outsider.id, "screens").status_code == 404
    assert grant(999999, "screens").status_code == 404
