"""E-mailed account links, followed from the mails a real SMTP server received:
invitations, forgotten passwords, e-mail changes; and the password change page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from signage.accounts import links
from signage.accounts.models import AccountToken, Invitation, Role, User
from signage.db import get_db, utcnow

from ..helpers import PASSWORD, csrf_token, login, post_form
from ..mailserver import link_path

NEW_PASSWORD = "a brand new passphrase"


def _login_status(client, email, password):
    token = csrf_token(client, "/login")
    resp = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    return resp.status_code


def _path_to(smtp_server, address, marker):
    found = [u for u in smtp_server.links_to(address) if marker in u]
    assert found, f"no {marker} link in the mail to {address}"
    return link_path(found[0])


def _user(session, email) -> User | None:
    return session.scalar(
        select(User)
        .where(User.email == email)
        .execution_options(populate_existing=True)
    )


# Invitations --------------------------------------------------------------------------


def test_admin_invites_a_manager_who_sets_a_password_and_logs_in(
    app, client, session, smtp_server, make_user, make_org
):
    org = make_org(name="Trường THPT Quốc Học")
    login(client, make_user(Role.ADMIN))
    resp = post_form(
        client,
        "/admin/users/invite",
        {
            "email": "Hieu.Truong@QuocHoc.edu.vn",
            "role": "manager",
            "organisation_id": org.id,
        },
    )
    assert resp.status_code == 302
    mail = smtp_server.last_to("hieu.truong@quochoc.edu.vn")
    assert "Trường THPT Quốc Học" in mail.get_body(("plain",)).get_content()
    path = _path_to(smtp_server, "hieu.truong@quochoc.edu.vn", "/invite/")
    listed = client.get("/admin/users").get_data(as_text=True)
    assert "Lời mời đang chờ" in listed and "hieu.truong@quochoc.edu.vn" in listed

    # Only a digest of the link's token is stored.
    token = path.rsplit("/", 1)[-1]
    stored = session.scalar(select(Invitation.token_hash))
    assert stored == links.digest(token) and token not in stored

    invitee = app.test_client()
    page = invitee.get(path)
    assert page.status_code == 200
    assert "hieu.truong@quochoc.edu.vn" in page.get_data(as_text=True)
    resp = post_form(
        invitee,
        path,
        {"name": "Trương Hiếu", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    user = _user(session, "hieu.truong@quochoc.edu.vn")
    assert user.role is Role.MANAGER and user.organisation_id == org.id
    assert user.name == "Trương Hiếu"
    assert _login_status(app.test_client(), user.email, NEW_PASSWORD) == 302

    again = invitee.get(path)
    assert again.status_code == 410
    assert "đã được dùng" in again.get_data(as_text=True)


def test_mismatched_passwords_keep_the_invitation_open(
    app, session, smtp_server, make_org
):
    org = make_org()
    with app.app_context(), get_db(app).write() as s:
        links.invite(
            s,
            email="a@example.vn",
            role=Role.MANAGER,
            organisation_id=org.id,
            invited_by=None,
        )
        s.commit()
    path = _path_to(smtp_server, "a@example.vn", "/invite/")
    client = app.test_client()
    resp = post_form(
        client, path, {"name": "A", "password": NEW_PASSWORD, "confirm": "other one"}
    )
    assert resp.status_code == 422
    assert "không giống nhau" in resp.get_data(as_text=True)
    resp = post_form(
        client, path, {"name": "A", "password": "short", "confirm": "short"}
    )
    assert resp.status_code == 422
    assert _user(session, "a@example.vn") is None
    assert client.get(path).status_code == 200


def test_invite_works_outside_a_request_as_an_import_job_would(
    app, session, smtp_server, make_org
):
    org = make_org()
    with app.app_context(), get_db(app).write() as s:
        inv = links.invite(
            s,
            email="b@example.vn",
            role=Role.DOOR,
            organisation_id=org.id,
            invited_by=None,
        )
        s.commit()
    assert inv.expires_at - utcnow() > timedelta(days=6, hours=23)
    assert "/invite/" in smtp_server.links_to("b@example.vn")[0]


def test_a_new_invitation_replaces_the_pending_one(app, smtp_server, make_org):
    org = make_org()
    for _ in range(2):
        with app.app_context(), get_db(app).write() as s:
            links.invite(
                s,
                email="c@example.vn",
                role=Role.MANAGER,
                organisation_id=org.id,
                invited_by=None,
            )
            s.commit()
    first, second = (
        link_path(links_[0])
        for links_ in ([u for u in _links(m)] for m in smtp_server.to("c@example.vn"))
    )
    client = app.test_client()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def _links(message):
    from ..mailserver import links as links_of

    return links_of(message)


def test_expired_invitation_answers_410_and_creates_nothing(
    app, session, smtp_server, make_org
):
    org = make_org()
    with app.app_context(), get_db(app).write() as s:
        links.invite(
            s,
            email="d@example.vn",
            role=Role.MANAGER,
            organisation_id=org.id,
            invited_by=None,
        )
        s.commit()
    session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(1)))
    path = _path_to(smtp_server, "d@example.vn", "/invite/")
    client = app.test_client()
    assert client.get(path).status_code == 410
    resp = post_form(
        client,
        path,
        {"name": "D", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/login",
    )
    assert resp.status_code == 410
    assert "hết hạn" in resp.get_data(as_text=True)
    assert _user(session, "d@example.vn") is None


@pytest.mark.parametrize(
    "token", ["x", "A" * 43, "abc.def~ghi!jkl<mno>pqrstu", "a" * 300]
)
def test_unknown_links_answer_a_vietnamese_404(client, token):
    for prefix in ("/invite/", "/reset/", "/account/email/confirm/"):
        resp = client.get(prefix + token)
        assert resp.status_code == 404
        assert "Liên kết không đúng" in resp.get_data(as_text=True)


def test_manager_invites_colleagues_into_its_own_organisation_only(
    app, client, session, smtp_server, make_org, make_user
):
    org, other = make_org(), make_org()
    manager = make_user(Role.MANAGER, org)
    login(client, manager)
    page = client.get(f"/orgs/{org.id}/team").get_data(as_text=True)
    assert manager.email in page
    resp = post_form(
        client, f"/orgs/{org.id}/team", {"email": "door@example.vn", "role": "door"}
    )
    assert resp.status_code == 302
    assert smtp_server.links_to("door@example.vn")
    assert "door@example.vn" in client.get(f"/orgs/{org.id}/team").get_data(True)
    # Not another organisation, not another role.
    resp = post_form(
        client,
        f"/orgs/{other.id}/team",
        {"email": "x@example.vn", "role": "manager"},
        form_url=f"/orgs/{org.id}/team",
    )
    assert resp.status_code == 404
    resp = post_form(
        client, f"/orgs/{org.id}/team", {"email": "y@example.vn", "role": "admin"}
    )
    assert resp.status_code == 422
    # An address that already has an account.
    resp = post_form(
        client, f"/orgs/{org.id}/team", {"email": manager.email, "role": "manager"}
    )
    assert resp.status_code == 422
    assert "đã có tài khoản" in resp.get_data(as_text=True)
    assert {m["To"] for m in smtp_server.messages} == {"door@example.vn"}
    assert (
        session.scalar(
            select(Invitation.id).where(
                Invitation.email.in_(["x@example.vn", "y@example.vn"])
            )
        )
        is None
    )


# Forgotten password -------------------------------------------------------------------


def test_forgot_reset_and_log_in_with_the_new_password(
    app, client, session, smtp_server, make_user
):
    user = make_user(Role.HEALTH, email="lan@example.vn")
    elsewhere = app.test_client()
    login(elsewhere, user)

    resp = post_form(client, "/forgot", {"email": "LAN@example.vn"})
    assert resp.status_code == 200
    assert "Hãy kiểm tra hộp thư" in resp.get_data(as_text=True)
    path = _path_to(smtp_server, "lan@example.vn", "/reset/")
    assert client.get(path).status_code == 200
    resp = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302

    assert _login_status(app.test_client(), user.email, PASSWORD) == 422
    assert _login_status(app.test_client(), user.email, NEW_PASSWORD) == 302
    # The session opened elsewhere before the reset is over.
    resp = elsewhere.get("/account")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    # The link is spent.
    again = client.get(path)
    assert again.status_code == 410
    assert "đã được dùng" in again.get_data(as_text=True)
    resp = post_form(
        client,
        path,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/login",
    )
    assert resp.status_code == 410


def test_a_reset_link_followed_twice_at_once_sets_one_password(
    app, client, session, smtp_server, make_user
):
    """Two requests with the same link, both having read it unused (the second
    one here is the test's own Session, which read the row before the first
    request used it): the second finds the link used and changes nothing."""
    from signage.accounts.services import HashPolicy
    from signage.errors import Gone

    user = make_user(Role.HEALTH)
    post_form(client, "/forgot", {"email": user.email})
    path = _path_to(smtp_server, user.email, "/reset/")
    token = path.rsplit("/", 1)[-1]
    read = links.open_reset(session, token)  # held: the Session keeps it as read
    assert read.used_at is None
    resp = post_form(client, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    with pytest.raises(Gone):
        links.reset_password(session, token, "a second passphrase", HashPolicy(1, 1024))
    assert _login_status(app.test_client(), user.email, NEW_PASSWORD) == 302


def test_an_invitation_accepted_twice_at_once_makes_one_account(
    app, client, session, smtp_server, make_user, make_org
):
    from signage.accounts.services import HashPolicy
    from signage.errors import Gone

    org = make_org()
    login(client, make_user(Role.MANAGER, org))
    resp = post_form(
        client, f"/orgs/{org.id}/team", {"email": "moi@example.vn", "role": "door"}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    path = _path_to(smtp_server, "moi@example.vn", "/invite/")
    token = path.rsplit("/", 1)[-1]
    read = links.open_invitation(session, token)  # held, as read
    assert read.accepted_at is None
    resp = post_form(
        app.test_client(),
        path,
        {"name": "Người gác cổng", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    with pytest.raises(Gone):
        links.accept_invitation(
            session,
            token,
            name="Kẻ thứ hai",
            password="a second passphrase",
            policy=HashPolicy(1, 1024),
        )
    assert session.query(User).filter_by(email="moi@example.vn").count() == 1


def test_forgot_never_says_whether_the_address_exists(client, smtp_server, make_user):
    make_user(Role.HEALTH, email="known@example.vn")
    known = post_form(client, "/forgot", {"email": "known@example.vn"})
    unknown = post_form(client, "/forgot", {"email": "unknown@example.vn"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert [m["To"] for m in smtp_server.messages] == ["known@example.vn"]


def test_expired_reset_link_is_refused(app, client, session, smtp_server, make_user):
    user = make_user(Role.HEALTH)
    post_form(client, "/forgot", {"email": user.email})
    session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(1)))
    path = _path_to(smtp_server, user.email, "/reset/")
    resp = post_form(
        client,
        path,
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        form_url="/forgot",
    )
    assert resp.status_code == 410
    assert "hết hạn" in resp.get_data(as_text=True)
    assert _login_status(app.test_client(), user.email, PASSWORD) == 302


def test_reset_link_lives_one_hour(app, client, session, smtp_server, make_user):
    user = make_user(Role.HEALTH)
    post_form(client, "/forgot", {"email": user.email})
    row = session.scalar(select(AccountToken))
    assert timedelta(minutes=59) < row.expires_at - row.created_at <= timedelta(hours=1)


def test_forgot_is_rate_limited(app, client, smtp_server, make_user):
    user = make_user(Role.HEALTH)
    for _ in range(3):
        post_form(client, "/forgot", {"email": user.email})
    # Per account: three mails an hour, then the same answer and no mail.
    assert post_form(client, "/forgot", {"email": user.email}).status_code == 200
    assert len(smtp_server.to(user.email)) == 3
    # Per address: ten requests an hour, then 429.
    codes = [
        post_form(client, "/forgot", {"email": f"n{i}@example.vn"}).status_code
        for i in range(8)
    ]
    assert codes[-1] == 429
    assert "Quá nhiều yêu cầu" in post_form(
        client, "/forgot", {"email": "z@example.vn"}
    ).get_data(as_text=True)


def test_admin_reset_button_mails_a_link(app, client, smtp_server, make_user):
    user = make_user(Role.EDITOR)
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/users").get_data(as_text=True)
    assert "flask --app wsgi" not in page
    resp = post_form(
        client, f"/admin/users/{user.id}/reset", {}, form_url="/admin/users"
    )
    assert resp.status_code == 302
    path = _path_to(smtp_server, user.email, "/reset/")
    other = app.test_client()
    resp = post_form(other, path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert _login_status(app.test_client(), user.email, NEW_PASSWORD) == 302


def test_login_page_offers_the_forgot_page(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/forgot"' in page
    assert "Liên hệ quản trị viên" not in page


# Own account --------------------------------------------------------------------------


def test_password_change_needs_the_current_one_and_ends_other_sessions(
    app, client, make_user
):
    user = make_user(Role.EDITOR)
    login(client, user)
    elsewhere = app.test_client()
    login(elsewhere, user)
    resp = post_form(
        client,
        "/account/password",
        {
            "current": "not my password",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert resp.status_code == 422
    assert "Mật khẩu hiện tại không đúng" in resp.get_data(as_text=True)
    resp = post_form(
        client,
        "/account/password",
        {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert resp.status_code == 302
    assert client.get("/account").status_code == 200  # still signed in here
    resp = elsewhere.get("/account")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _login_status(app.test_client(), user.email, PASSWORD) == 422
    assert _login_status(app.test_client(), user.email, NEW_PASSWORD) == 302


def test_email_change_takes_effect_only_when_confirmed(
    app, client, session, smtp_server, make_user
):
    user = make_user(Role.EDITOR, email="old@example.vn")
    login(client, user)
    resp = post_form(
        client, "/account/email", {"email": "new@example.vn", "password": "wrong one!"}
    )
    assert resp.status_code == 422
    resp = post_form(
        client, "/account/email", {"email": "new@example.vn", "password": PASSWORD}
    )
    assert resp.status_code == 302
    assert _user(session, "old@example.vn") is not None  # nothing changed yet
    path = _path_to(smtp_server, "new@example.vn", "/account/email/confirm/")
    other = app.test_client()
    page = other.get(path)  # a link scanner's GET changes nothing
    assert page.status_code == 200 and _user(session, "new@example.vn") is None
    resp = post_form(other, path, {})
    assert resp.status_code == 302
    assert _user(session, "new@example.vn").id == user.id
    notice = smtp_server.last_to("old@example.vn")
    assert "new@example.vn" in notice.get_body(("plain",)).get_content()
    assert _login_status(app.test_client(), "new@example.vn", PASSWORD) == 302
    assert _login_status(app.test_client(), "old@example.vn", PASSWORD) == 422
    assert other.get(path).status_code == 410


def test_email_change_to_a_taken_address_is_refused(client, smtp_server, make_user):
    taken = make_user(Role.HEALTH)
    user = make_user(Role.EDITOR)
    login(client, user)
    resp = post_form(
        client, "/account/email", {"email": taken.email, "password": PASSWORD}
    )
    assert resp.status_code == 422
    assert smtp_server.messages == []


# Door staff ---------------------------------------------------------------------------


def test_door_staff_scan_at_their_venues_and_see_nothing_else(
    client, make_org, make_venue, make_user
):
    org, other = make_org(), make_org()
    venue, other_venue = make_venue(org, name="Cổng chính"), make_venue(other)
    login(client, make_user(Role.DOOR, org))
    home = client.get("/")
    assert home.status_code == 302
    assert home.headers["Location"].endswith(f"/orgs/{org.id}/scan")
    page = client.get(f"/orgs/{org.id}/scan").get_data(as_text=True)
    assert "Cổng chính" in page
    assert client.get(f"/orgs/{org.id}/venues/{venue.id}/scan").status_code == 200
    for url in (
        f"/orgs/{other.id}/scan",
        f"/orgs/{other.id}/venues/{other_venue.id}/scan",
        f"/orgs/{org.id}/",
        f"/orgs/{org.id}/venues/{venue.id}",
        f"/orgs/{org.id}/checkins",
        f"/orgs/{org.id}/team",
        "/jobs/",
    ):
        assert client.get(url).status_code == 404, url


def test_door_staff_need_an_organisation(session):
    from signage.accounts import services
    from signage.errors import Invalid

    with pytest.raises(Invalid):
        services.create_user(
            session,
            email="d@example.vn",
            password=PASSWORD,
            role=Role.DOOR,
            policy=services.HashPolicy(1, 1024),
        )


@pytest.mark.parametrize("area", ["accounts", "mail", "cards"])
def test_every_message_has_an_english_translation(area):
    from importlib import import_module
    from pathlib import Path

    from babel.messages.pofile import read_po

    folder = Path(import_module(f"signage.{area}").__file__).parent
    with (folder / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f, locale="en")
    assert [m.id for m in catalogue if m.id and not m.string] == []


def test_account_pages_read_in_english(client, make_user):
    client.set_cookie("lang", "en")
    assert "Forgot your password?" in client.get("/login").get_data(as_text=True)
    page = client.get("/forgot").get_data(as_text=True)
    assert "Forgotten password" in page and "Quên mật khẩu" not in page
    assert "This link is wrong" in client.get("/reset/" + "A" * 43).get_data(True)


def test_expired_links_are_forgotten_after_thirty_days(app, session, make_org):
    from signage.jobs import housekeeping

    org = make_org()
    with app.app_context(), get_db(app).write() as s:
        for email in ("old@example.vn", "fresh@example.vn"):
            links.invite(
                s,
                email=email,
                role=Role.MANAGER,
                organisation_id=org.id,
                invited_by=None,
            )
        s.commit()
    session.execute(
        update(Invitation)
        .where(Invitation.email == "old@example.vn")
        .values(expires_at=utcnow() - timedelta(days=31))
    )
    assert housekeeping.purge_account_links(app) == 1
    assert list(session.scalars(select(Invitation.email))) == ["fresh@example.vn"]
