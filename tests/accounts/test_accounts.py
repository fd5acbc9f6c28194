"""Accounts: hashing, login and logout, session lifetime, throttling, CLI, admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from signage.accounts import services
from signage.accounts.models import LoginSession, Role, User
from signage.db import utcnow

from ..helpers import PASSWORD, csrf_token, login, post_form


def _login_post(client, email, password, ip="203.0.113.5"):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_password_is_argon2id_and_verifies(session, make_user):
    user = make_user(role=Role.ADMIN)
    assert user.password_hash.startswith("$argon2id$")
    policy = services.HashPolicy(1, 1024)
    assert services.authenticate(session, user.email.upper(), PASSWORD, policy)
    assert services.authenticate(session, user.email, "wrong password!", policy) is None
    assert services.authenticate(session, "nobody@x.vn", PASSWORD, policy) is None


def test_short_password_is_refused(session):
    with pytest.raises(services.Invalid):
        services.create_user(
            session,
            email="a@b.vn",
            password="short",
            role=Role.ADMIN,
            policy=services.HashPolicy(1, 1024),
        )


@pytest.fixture
def config_overrides():
    return {}


@pytest.mark.parametrize("config_overrides", [{"FORCE_SECURE_COOKIES": True}])
def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(
    client, session, make_user
):
    user = make_user(role=Role.ADMIN)
    resp = _login_post(client, user.email, PASSWORD)
    assert resp.status_code == 302
    header = next(
        h for h in resp.headers.getlist("Set-Cookie") if h.startswith("signage_session")
    )
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header
    assert client.get("/admin/orgs").status_code == 200
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 1

    stolen = client.get_cookie("signage_session").value
    token = csrf_token(client, "/admin/orgs")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
    # Replaying the cookie copied before logout no longer works.
    client.set_cookie("signage_session", stolen)
    resp = client.get("/admin/orgs")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_session_lifetime_is_absolute(client, session, make_user):
    user = make_user(role=Role.ADMIN)
    login(client, user)
    row = session.scalar(select(LoginSession))
    assert row.expires_at - row.created_at == timedelta(hours=12)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    resp = client.get("/admin/orgs")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_wrong_password_is_a_vietnamese_422(client, make_user):
    user = make_user(role=Role.ADMIN)
    resp = _login_post(client, user.email, "not the password")
    assert resp.status_code == 422
    assert "Email hoặc mật khẩu không đúng." in resp.get_data(as_text=True)


def test_login_is_throttled_per_account_across_ips(client, make_user):
    user = make_user(role=Role.ADMIN)
    for i in range(10):
        assert (
            _login_post(client, user.email, "bad", ip=f"10.0.0.{i}").status_code == 422
        )
    resp = _login_post(client, user.email, PASSWORD, ip="10.0.1.1")
    assert resp.status_code == 429
    assert "Quá nhiều" in resp.get_data(as_text=True)


def test_login_is_throttled_per_ip_across_accounts(client):
    for i in range(60):
        assert (
            _login_post(client, f"u{i}@x.vn", "bad", ip="10.9.9.9").status_code == 422
        )
    assert _login_post(client, "other@x.vn", "bad", ip="10.9.9.9").status_code == 429
    assert _login_post(client, "other@x.vn", "bad", ip="10.9.9.8").status_code == 422


def test_csrf_is_required_on_login(client, make_user):
    user = make_user(role=Role.ADMIN)
    resp = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 400
    assert "phiên" in resp.get_data(as_text=True).lower()


def test_open_redirect_after_login_is_refused(client, make_user):
    user = make_user(role=Role.ADMIN)
    token = csrf_token(client, "/login")
    resp = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_deactivated_user_is_signed_out(client, session, make_user):
    admin = make_user(role=Role.ADMIN)
    other = make_user(role=Role.ADMIN)
    other_client = client.application.test_client()
    login(other_client, other)
    login(client, admin)
    token = csrf_token(client, "/admin/users")
    resp = client.post(f"/admin/users/{other.id}/active", data={"csrf_token": token})
    assert resp.status_code == 302
    assert other_client.get("/admin/users").status_code == 302


def test_admin_creates_an_organisation_and_a_manager(client, session, make_user):
    admin = make_user(role=Role.ADMIN)
    login(client, admin)
    resp = post_form(
        client,
        "/admin/orgs/new",
        {
            "name": "Trường THPT Hai Bà Trưng",
            "kind": "school",
            "province_code": "46",
            "ward_code": "19786",
            "address": "14 Lê Lợi",
            "contact_name": "H'Hen Niê",
            "contact_phone": "0901234567",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    org_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    resp = post_form(
        client,
        "/admin/users/new",
        {
            "email": "Hieu.Truong@Example.vn",
            "name": "Êčăm",
            "role": "manager",
            "organisation_id": str(org_id),
            "password": "một mật khẩu dài",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    user = session.scalar(select(User).where(User.email == "hieu.truong@example.vn"))
    assert user.organisation_id == org_id and user.name == "Êčăm"
    page = client.get("/admin/users").get_data(as_text=True)
    assert "hieu.truong@example.vn" in page


def test_manager_without_organisation_is_refused(client, make_user):
    login(client, make_user(role=Role.ADMIN))
    resp = post_form(
        client,
        "/admin/users/new",
        {
            "email": "m@x.vn",
            "role": "manager",
            "organisation_id": "",
            "password": "x" * 12,
        },
    )
    assert resp.status_code == 422
    assert "phải thuộc một tổ chức" in resp.get_data(as_text=True)


def test_cli_creates_user_and_resets_password(app, session, make_org):
    org = make_org()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@x.vn",
            "--role",
            "manager",
            "--org",
            str(org.id),
            "--password",
            "mật khẩu mới 2026",
        ]
    )
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.email == "cli@x.vn"))
    assert user.organisation_id == org.id and user.role is Role.MANAGER

    client = app.test_client()
    login(client, user, "mật khẩu mới 2026")
    result = runner.invoke(
        args=[
            "users",
            "reset-password",
            "--email",
            "cli@x.vn",
            "--password",
            "khác hẳn 2026!",
        ]
    )
    assert result.exit_code == 0, result.output
    # The old session ended with the reset.
    assert client.get(f"/orgs/{org.id}/").status_code == 302
    login(client, user, "khác hẳn 2026!")

    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "cli@x.vn",
            "--role",
            "admin",
            "--password",
            "x" * 12,
        ]
    )
    assert result.exit_code != 0 and "đã có tài khoản" in result.output
    result = runner.invoke(args=["users", "list"])
    assert "cli@x.vn,manager" in result.output


def test_login_lockout_says_when_to_try_again(client, make_user):
    user = make_user(role=Role.ADMIN)
    for _ in range(10):
        assert _login_post(client, user.email, "bad").status_code == 422
    resp = _login_post(client, user.email, "bad")
    assert resp.status_code == 429
    assert 1 <= int(resp.headers["Retry-After"]) <= 15 * 60


def test_successful_logins_do_not_count_as_failures(app, make_user):
    user = make_user(role=Role.ADMIN)
    for _ in range(3):  # a user who logs in often is never locked out by it
        for _ in range(3):
            assert _login_post(app.test_client(), user.email, "bad").status_code == 422
        assert _login_post(app.test_client(), user.email, PASSWORD).status_code == 302
    assert _login_post(app.test_client(), user.email, "bad").status_code == 422
