"""The outbox: mail leaves after the commit through a real SMTP server, refused
mail is retried with back-off and then shown failed to the admin, nothing is lost."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from signage import ConfigError, create_app
from signage.accounts.models import Role
from signage.db import get_db, utcnow
from signage.errors import Conflict, Invalid
from signage.mail import delivery
from signage.mail.models import MailState, OutboxMail, Transport
from signage.mail.services import queue_mail

from ..helpers import DATA_KEY, login, post_form
from ..mailserver import free_port, link_path, links

TEXT = "Chào anh Nguyễn Văn Bình,\n\nMở liên kết: https://qr.example.vn/invite/abc123\n"


def _queue(app, *, to="binh@example.vn", subject="Lời mời tham gia", commit=True):
    with get_db(app).write() as s:
        mail = queue_mail(s, to=to, subject=subject, text=TEXT, kind="test.invite")
        if commit:
            s.commit()
        else:
            s.rollback()
        return mail.id


def _mail(session, mail_id) -> OutboxMail:
    return session.scalar(
        select(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .execution_options(populate_existing=True)
    )


def _make_due(session, mail_id):
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail_id)
        .values(next_attempt_at=utcnow() - timedelta(seconds=1))
    )


def test_mail_is_delivered_once_the_transaction_commits(app, smtp_server, session):
    mail_id = _queue(app)

    assert len(smtp_server.messages) == 1
    msg = smtp_server.messages[0]
    assert msg["To"] == "binh@example.vn"
    assert msg["Subject"] == "Lời mời tham gia"
    assert msg["From"] == "no-reply@qr.example.vn"
    assert msg["Message-ID"]
    assert "Nguyễn Văn Bình" in msg.get_body(("plain",)).get_content()
    assert links(msg) == ["https://qr.example.vn/invite/abc123"]
    assert link_path(links(msg)[0]) == "/invite/abc123"
    row = _mail(session, mail_id)
    assert row.state is MailState.SENT and row.transport is Transport.SMTP
    assert row.attempts == 1
    # The body (a one-time link) is not kept once the server has it.
    assert row.text == "" and row.body_cleared


def test_a_rolled_back_transaction_sends_nothing(app, smtp_server, session):
    _queue(app, commit=False)
    assert smtp_server.messages == []
    assert session.scalar(select(OutboxMail.id)) is None


@pytest.fixture
def config_overrides():
    return {"MAIL_MAX_ATTEMPTS": 3, "MAIL_RETRY_SECONDS": 60}


def test_refused_mail_is_retried_with_backoff_then_failed_for_the_admin(
    app, smtp_server, session, client, make_user
):
    smtp_server.refuse = "550 5.7.1 Relaying denied"
    mail_id = _queue(app)
    row = _mail(session, mail_id)
    assert row.state is MailState.QUEUED and row.attempts == 1
    assert "550" in row.last_error
    wait = row.next_attempt_at - utcnow()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)

    assert delivery.sweep(app) == 0  # not due yet
    _make_due(session, mail_id)
    assert delivery.sweep(app) == 1
    row = _mail(session, mail_id)
    assert row.attempts == 2 and row.state is MailState.QUEUED
    # Exponential: the second wait is twice the first.
    assert row.next_attempt_at - utcnow() > timedelta(seconds=110)
    _make_due(session, mail_id)
    delivery.sweep(app)
    row = _mail(session, mail_id)
    assert row.state is MailState.FAILED and row.attempts == 3
    assert smtp_server.messages == []
    _make_due(session, mail_id)
    assert delivery.sweep(app) == 0  # failed mail is not retried by itself

    admin = make_user(Role.ADMIN)
    login(client, admin)
    page = client.get("/admin/mail?state=failed").get_data(as_text=True)
    assert "binh@example.vn" in page
    assert "Gửi không thành công" in page
    assert "550 5.7.1 Relaying denied" in page

    # The server is fixed; the admin retries: the whole message arrives.
    smtp_server.refuse = None
    resp = post_form(client, f"/admin/mail/{mail_id}/retry", {}, form_url="/admin/mail")
    assert resp.status_code == 302
    assert len(smtp_server.messages) == 1
    assert links(smtp_server.messages[0]) == ["https://qr.example.vn/invite/abc123"]
    assert _mail(session, mail_id).state is MailState.SENT
    # Retrying a mail that is not failed is refused, and changes nothing.
    resp = post_form(client, f"/admin/mail/{mail_id}/retry", {}, form_url="/admin/mail")
    assert resp.status_code == 409
    assert len(smtp_server.messages) == 1


def test_an_address_that_does_not_exist_fails_at_once(app, smtp_server, session):
    """A 5.1.x refusal (no such mailbox) is not retried: it could only fail again."""
    smtp_server.refuse = "550 5.1.1 <binh@example.vn>: Recipient address rejected"
    mail_id = _queue(app)
    row = _mail(session, mail_id)
    assert row.state is MailState.FAILED and row.attempts == 1
    assert "5.1.1" in row.last_error
    _make_due(session, mail_id)
    assert delivery.sweep(app) == 0


def test_unreachable_server_keeps_the_mail_queued(app, session):
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{free_port()}?timeout=2"
    mail_id = _queue(app)
    row = _mail(session, mail_id)
    assert row.state is MailState.QUEUED and row.attempts == 1
    assert "Connection" in row.last_error or "refused" in row.last_error
    assert row.text == TEXT  # nothing lost


def test_no_personal_data_in_the_logs(app, smtp_server, caplog):
    caplog.set_level(logging.DEBUG)
    smtp_server.refuse = "550 5.1.1 <binh@example.vn>: Recipient address rejected"
    _queue(app)
    smtp_server.refuse = None
    _queue(app, to="lan@example.vn", subject="Đặt lại mật khẩu")
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours, "the outbox logs its attempts"
    text = "\n".join(r.getMessage() for r in ours)
    for secret in ("binh@example.vn", "lan@example.vn", "Bình", "Đặt lại", "abc123"):
        assert secret not in text


def test_sweep_sends_what_the_queue_missed(app, smtp_server, session):
    # Queued through a Session that is not the app's (no after-commit hook): the
    # minute's sweep finds it.
    queue_mail(session, to="an@example.vn", subject="S", text="T", kind="test")
    assert smtp_server.messages == []
    assert delivery.sweep(app) == 1
    assert [m["To"] for m in smtp_server.messages] == ["an@example.vn"]
    assert delivery.sweep(app) == 0


def test_a_mail_claimed_by_a_dead_worker_goes_back_to_the_queue(
    app, smtp_server, session
):
    mail = queue_mail(session, to="an@example.vn", subject="S", text="T", kind="t")
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == mail.id)
        .values(state=MailState.SENDING, claimed_at=utcnow() - timedelta(hours=1))
    )
    assert delivery.sweep(app) == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize("bad", ["", "no-at-sign", "a@b.vn\r\nBcc: x@y.vn", "a@b,c@d"])
def test_bad_addresses_are_refused_before_anything_is_stored(session, bad):
    with pytest.raises(Invalid):
        queue_mail(session, to=bad, subject="S", text="T", kind="t")
    assert session.scalar(select(OutboxMail.id)) is None


def test_a_subject_cannot_inject_headers(app, smtp_server):
    _queue(app, subject="Chào\r\nBcc: victim@example.vn")
    msg = smtp_server.messages[0]
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Chào Bcc: victim@example.vn"


def test_development_keeps_mail_in_the_outbox_page(app, client, session):
    mail_id = _queue(app)
    row = _mail(session, mail_id)
    assert row.state is MailState.SENT and row.transport is Transport.OUTBOX
    assert row.text == TEXT
    listing = client.get("/dev/mail/").get_data(as_text=True)
    assert "Lời mời tham gia" in listing
    page = client.get(f"/dev/mail/{mail_id}").get_data(as_text=True)
    link = "https://qr.example.vn/invite/abc123"
    assert f'<a href="{link}">{link}</a>' in page
    assert client.get("/dev/mail/999999").status_code == 404


PROD = {
    "ENV": "production",
    "SECRET_KEY": "k" * 48,
    "PUBLIC_BASE_URL": "https://qr.example.vn",
    "DATA_KEY": DATA_KEY,
    "DATABASE_URL": "sqlite://",
}


def test_production_without_an_smtp_url_refuses_to_start():
    with pytest.raises(ConfigError, match="SIGNAGE_SMTP_URL"):
        create_app(PROD)


@pytest.mark.parametrize(
    "url", ["http://mail.example.vn", "smtp://", "smtp://h:99999", "smtp://h?tls=1"]
)
def test_a_malformed_smtp_url_refuses_to_start(url):
    with pytest.raises(ConfigError, match="SIGNAGE_SMTP_URL"):
        create_app({**PROD, "SMTP_URL": url})


def test_the_password_in_the_smtp_url_never_shows_in_the_error():
    with pytest.raises(ConfigError) as err:
        create_app({**PROD, "SMTP_URL": "smtp://u:hunter2secret@h?bad=1"})
    assert "hunter2secret" not in str(err.value)


def test_production_has_no_developer_outbox():
    app = create_app({**PROD, "SMTP_URL": "smtps://u:p@mail.example.vn"})
    assert app.test_client().get("/dev/mail/").status_code == 404


def test_retry_service_refuses_a_sent_mail(app, session):
    mail_id = _queue(app)
    with get_db(app).write() as s, pytest.raises(Conflict):
        from signage.mail import services

        services.retry(s, mail_id)


def test_the_admins_menu_shows_the_last_weeks_failures(
    app, client, session, make_user, make_org
):
    """A refusing server is noticed on any page: the admin's menu counts the
    mails of the last 7 days that failed for good and links to them."""
    recent, old = _queue(app), _queue(app, to="cu@example.vn")
    session.execute(update(OutboxMail).values(state=MailState.FAILED))
    session.execute(
        update(OutboxMail)
        .where(OutboxMail.id == old)
        .values(created_at=utcnow() - timedelta(days=8))
    )
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/users").get_data(as_text=True)
    badge = page.split('id="mail-failures"')[1].split("</a>")[0]
    assert "1 thư lỗi" in badge
    assert 'href="/admin/mail?state=failed" id="mail-failures"' in page
    manager = app.test_client()
    login(manager, make_user(Role.MANAGER, make_org()))
    home = manager.get("/", follow_redirects=True)
    assert home.status_code == 200 and "thư lỗi" not in home.get_data(as_text=True)
    session.execute(
        update(OutboxMail).where(OutboxMail.id == recent).values(state=MailState.SENT)
    )
    assert "mail-failures" not in client.get("/admin/users").get_data(as_text=True)
