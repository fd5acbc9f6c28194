"""Self-registration: the form, the e-mailed link, the approval by the parent
unit's supervisor, auto-approval, duplicates, rate limits, no existence leaks."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from signage.accounts.models import Organisation, Role, User
from signage.units.models import Registration, RegState

from ..helpers import csrf_token, login
from ..mailserver import link_path

GOOD_MST = "0100233488"


def _form(parent: int, /, **over: str) -> dict[str, str]:
    data = {
        "name": "Công ty TNHH Bánh Bèo Huế",
        "kind": "business",
        "parent_id": str(parent),
        "ward_code": "19786",
        "address": "20 Nguyễn Huệ",
        "tax_code": GOOD_MST,
        "contact_name": "Trần Văn Cường",
        "contact_phone": "0905 123 456",
        "email": "banhbeo@example.vn",
        "password": "mat khau that dai",
        "password2": "mat khau that dai",
    }
    data.update(over)
    return data


def _register(client, data: dict[str, str]):
    token = csrf_token(client, "/register")
    return client.post("/register", data={**data, "csrf_token": token})


def _verify_link(smtp_server, email: str) -> str:
    links = [u for u in smtp_server.links_to(email) if "/register/verify/" in u]
    assert links, "no verification link in the mail"
    return link_path(links[0])


def _confirm(client, path: str):
    """Follow the e-mailed link as its owner does: open it, press its button."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    assert 'id="register-confirm"' in page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def test_opening_the_link_changes_nothing_until_its_button_is_pressed(
    client, app, hue, session, smtp_server
):
    """Mail security scanners open every link of a mail: that GET neither
    verifies the address nor sets off an automatic approval."""
    from signage.units import registration

    ward = hue.orgs["ward_b"]
    registration.set_auto_approve(session, ward, True)
    session.commit()
    _register(client, _form(ward.id, ward_code="19768"))
    path = _verify_link(smtp_server, "banhbeo@example.vn")
    scanner = app.test_client()
    for _ in range(2):
        page = scanner.get(path)
        assert page.status_code == 200
        assert "banhbeo@example.vn" in page.get_data(as_text=True)
    session.expire_all()
    assert session.query(Registration).one().state is RegState.UNVERIFIED
    assert session.query(Organisation).filter_by(name=_form(0)["name"]).count() == 0
    # a POST without the page's token is refused, and changes nothing either
    assert scanner.post(path).status_code == 400
    session.expire_all()
    assert session.query(Registration).one().state is RegState.UNVERIFIED
    page = _confirm(client, path)
    assert "đã được duyệt" in page.get_data(as_text=True)


def test_business_registers_verifies_and_is_approved(
    client, app, hue, session, smtp_server
):
    ward = hue.orgs["ward_a"]
    page = client.get("/register").get_data(as_text=True)
    assert "UBND phường Thuận Hóa" in page  # a unit with a supervisor
    resp = _register(client, _form(ward.id))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        "/register/sent"
    )
    reg = session.query(Registration).one()
    assert reg.state is RegState.UNVERIFIED
    assert session.query(Organisation).filter_by(name=reg.name).count() == 0

    mail = smtp_server.last_to("banhbeo@example.vn")
    assert "Xác nhận email" in str(mail["Subject"])
    path = _verify_link(smtp_server, "banhbeo@example.vn")
    page = _confirm(client, path)
    assert page.status_code == 200
    assert "đang chờ đơn vị cấp trên duyệt" in page.get_data(as_text=True)
    # the ward's supervisor was told
    assert any(
        "/units/registrations" in u
        for u in smtp_server.links_to(hue.users["sup_a"].email)
    )
    # the link works once
    again = client.get(path)
    assert again.status_code == 410
    assert "đã được dùng" in again.get_data(as_text=True)

    sup = app.test_client()
    login(sup, hue.users["sup_a"])
    listing = sup.get("/units/registrations").get_data(as_text=True)
    assert "Công ty TNHH Bánh Bèo Huế" in listing
    token = csrf_token(sup, "/units/registrations")
    resp = sup.post(
        f"/units/registrations/{reg.id}/approve", data={"csrf_token": token}
    )
    assert resp.status_code == 302
    org = session.query(Organisation).filter_by(name="Công ty TNHH Bánh Bèo Huế").one()
    assert org.parent_id == ward.id and org.tax_code == GOOD_MST
    assert org.contact_phone == "0905123456"
    approved = smtp_server.last_to("banhbeo@example.vn")
    assert "đã được duyệt" in str(approved["Subject"])
    # the manager logs in with the password chosen at registration
    manager = session.query(User).filter_by(email="banhbeo@example.vn").one()
    assert manager.role is Role.MANAGER and manager.organisation_id == org.id
    login(client, manager, password="mat khau that dai")
    assert client.get(f"/orgs/{org.id}/").status_code == 200


def test_neighbour_supervisor_cannot_decide(client, app, hue, session, smtp_server):
    _register(client, _form(hue.orgs["ward_a"].id))
    _confirm(client, _verify_link(smtp_server, "banhbeo@example.vn"))
    reg = session.query(Registration).one()
    other = app.test_client()
    login(other, hue.users["sup_b"])
    assert "Bánh Bèo" not in other.get("/units/registrations").get_data(as_text=True)
    token = csrf_token(other, "/units/registrations")
    for action in ("approve", "refuse"):
        resp = other.post(
            f"/units/registrations/{reg.id}/{action}",
            data={"csrf_token": token, "reason": "x"},
        )
        assert resp.status_code == 404
    session.refresh(reg)
    assert reg.state is RegState.PENDING


def test_refusal_needs_a_reason_and_mails_it(client, app, hue, session, smtp_server):
    _register(client, _form(hue.orgs["ward_a"].id))
    _confirm(client, _verify_link(smtp_server, "banhbeo@example.vn"))
    reg = session.query(Registration).one()
    sup = app.test_client()
    login(sup, hue.users["sup_a"])
    token = csrf_token(sup, "/units/registrations")
    resp = sup.post(
        f"/units/registrations/{reg.id}/refuse",
        data={"csrf_token": token, "reason": ""},
    )
    session.refresh(reg)
    assert reg.state is RegState.PENDING
    resp = sup.post(
        f"/units/registrations/{reg.id}/refuse",
        data={"csrf_token": token, "reason": "Địa chỉ không thuộc phường Thuận Hóa."},
    )
    assert resp.status_code == 302
    session.refresh(reg)
    assert reg.state is RegState.REFUSED
    mail = smtp_server.last_to("banhbeo@example.vn")
    assert "Địa chỉ không thuộc phường Thuận Hóa." in mail.get_body().get_content()
    assert session.query(User).filter_by(email="banhbeo@example.vn").count() == 0


def test_auto_approval_per_parent(client, app, hue, session, smtp_server):
    sup = app.test_client()
    login(sup, hue.users["sup_b"])
    ward = hue.orgs["ward_b"]
    token = csrf_token(sup, f"/units/{ward.id}/")
    assert (
        sup.post(
            f"/units/{ward.id}/auto-approve", data={"csrf_token": token}
        ).status_code
        == 302
    )
    _register(client, _form(ward.id, ward_code="19768"))
    page = _confirm(client, _verify_link(smtp_server, "banhbeo@example.vn"))
    assert "đã được duyệt" in page.get_data(as_text=True)
    org = session.query(Organisation).filter_by(name="Công ty TNHH Bánh Bèo Huế").one()
    assert org.parent_id == ward.id
    assert "đã được duyệt" in str(smtp_server.last_to("banhbeo@example.vn")["Subject"])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tax_code", "0100233489", "chữ số kiểm tra"),
        ("tax_code", "0100233488-000", "chữ số kiểm tra"),
        ("contact_phone", "12345", "Số điện thoại"),
        ("parent_id", "999999", "đơn vị cấp trên"),
        ("password2", "khac hoan toan", "không giống"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    client, hue, session, smtp_server, field, value, message
):
    resp = _register(client, _form(hue.orgs["ward_a"].id, **{field: value}))
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    assert session.query(Registration).count() == 0
    assert smtp_server.messages == []


def test_branch_tax_code_is_accepted(client, hue, session, smtp_server):
    resp = _register(client, _form(hue.orgs["ward_a"].id, tax_code="0100233488-001"))
    assert resp.status_code == 303
    assert session.query(Registration).one().tax_code == "0100233488001"


def test_a_business_cannot_be_chosen_as_parent(client, hue, session):
    resp = _register(client, _form(hue.orgs["hotel"].id))
    assert resp.status_code == 422


def test_known_email_gets_the_same_answer(client, app, hue, session, smtp_server):
    known = hue.users["hotel"].email
    resp_known = _register(client, _form(hue.orgs["ward_a"].id, email=known))
    fresh = app.test_client()
    resp_new = _register(fresh, _form(hue.orgs["ward_a"].id, email="moi@example.vn"))
    assert resp_known.status_code == resp_new.status_code == 303
    assert resp_known.headers["Location"] == resp_new.headers["Location"]
    assert (
        client.get("/register/sent").get_data()
        == fresh.get("/register/sent").get_data()
    )
    # only the mailbox's owner learns the address has an account
    mail = smtp_server.last_to(known)
    assert "đã có tài khoản" in mail.get_body().get_content()
    assert session.query(Registration).filter_by(email=known).count() == 0


def test_known_and_unknown_email_take_similar_time(app, hue, smtp_server):
    """Both answers hash the password and queue one mail: no timing oracle."""
    known = hue.users["hotel"].email

    def timed(email: str) -> float:
        c = app.test_client()
        token = csrf_token(c, "/register")
        t0 = time.perf_counter()
        c.post(
            "/register",
            data={**_form(hue.orgs["ward_a"].id, email=email), "csrf_token": token},
        )
        return time.perf_counter() - t0

    timed("warmup@example.vn")
    known_t = sorted(timed(known) for _ in range(3))[1]
    new_t = sorted(timed(f"n{i}@example.vn") for i in range(3))[1]
    assert known_t / new_t < 3 and new_t / known_t < 3


def test_registration_is_rate_limited(client, hue):
    """REGISTER_LIMIT_PER_EMAIL (3 per hour): the fourth attempt is refused."""
    for _attempt in range(3):
        assert _register(client, _form(hue.orgs["ward_a"].id)).status_code == 303
    resp = _register(client, _form(hue.orgs["ward_a"].id))
    assert resp.status_code == 429


def test_expired_and_forged_links(client, app, hue, session, smtp_server, monkeypatch):
    _register(client, _form(hue.orgs["ward_a"].id))
    path = _verify_link(smtp_server, "banhbeo@example.vn")
    assert client.get("/register/verify/not-a-token").status_code == 404
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 49 * 3600)
    resp = client.get(path)
    assert resp.status_code == 410
    assert "hết hạn" in resp.get_data(as_text=True)
    monkeypatch.setattr(time, "time", real)
    assert session.query(Registration).one().state is RegState.UNVERIFIED


def test_approver_sees_likely_duplicates(client, app, hue, session, smtp_server):
    hue.orgs["cafe"].tax_code = GOOD_MST
    session.add(hue.orgs["cafe"])
    session.commit()
    _register(client, _form(hue.orgs["ward_a"].id, name="Cà phê Muối Huế", tax_code=""))
    _confirm(client, _verify_link(smtp_server, "banhbeo@example.vn"))
    c2 = app.test_client()
    _register(
        c2, _form(hue.orgs["ward_a"].id, name="Nhà hàng Khác", email="khac@example.vn")
    )
    _confirm(c2, _verify_link(smtp_server, "khac@example.vn"))
    sup = app.test_client()
    login(sup, hue.users["sup_a"])
    page = sup.get("/units/registrations").get_data(as_text=True)
    by_name = page.split('id="reg-')
    similar = next(b for b in by_name if "Cà phê Muối Huế" in b)
    assert "Cà phê Muối" in similar and "tên rất giống" in similar
    same_tax = next(b for b in by_name if "Nhà hàng Khác" in b)
    assert "cùng mã số thuế" in same_tax


def test_registrations_never_verified_are_deleted_after_a_week(
    client, app, hue, session, smtp_server
):
    """Whoever never followed the e-mailed link leaves no password hash or contact
    behind: a week on, the daily housekeeping deletes the registration; a verified
    one stays for its decision."""
    from datetime import timedelta

    from sqlalchemy import update

    from signage.db import utcnow
    from signage.jobs import housekeeping

    ward = hue.orgs["ward_a"]
    assert _register(client, _form(ward.id)).status_code in (302, 303)
    assert _register(
        app.test_client(),
        _form(ward.id, email="moi@example.vn", name="Tiệm may Cô Ba", tax_code=""),
    ).status_code in (302, 303)
    _confirm(client, _verify_link(smtp_server, "moi@example.vn"))
    session.execute(
        update(Registration).values(created_at=utcnow() - timedelta(days=8))
    )
    session.commit()
    assert housekeeping.purge_unverified_registrations(app) == 1
    session.expire_all()
    left = session.scalars(select(Registration)).all()
    assert [(r.email, r.state) for r in left] == [("moi@example.vn", RegState.PENDING)]


def test_a_link_or_decision_acted_on_twice_at_once_counts_once(
    client, app, hue, session, smtp_server
):
    """A second request that read the registration before the first one changed
    it (here: the test's own Session, holding what it read) finds it changed: a
    mail scanner's GET racing the person's click verifies once, and a refusal
    racing an approval leaves the approval alone."""
    from signage.errors import Conflict, Gone
    from signage.units import registration

    _register(client, _form(hue.orgs["ward_a"].id))
    path = _verify_link(smtp_server, "banhbeo@example.vn")
    read = session.query(Registration).one()  # held: the Session keeps it as read
    assert read.state is RegState.UNVERIFIED
    assert _confirm(client, path).status_code == 200
    with pytest.raises(Gone):
        registration.verify(session, read.id)

    session.expire_all()
    read = session.query(Registration).one()
    assert read.state is RegState.PENDING
    sup = app.test_client()
    login(sup, hue.users["sup_a"])
    token = csrf_token(sup, "/units/registrations")
    resp = sup.post(
        f"/units/registrations/{read.id}/approve", data={"csrf_token": token}
    )
    assert resp.status_code == 302
    with pytest.raises(Conflict):
        registration.refuse(session, read, reason="Trùng hồ sơ.", decided_by=None)
    session.expire_all()
    assert session.query(Registration).one().state is RegState.APPROVED
    assert session.query(Organisation).filter_by(name=read.name).count() == 1


def test_auto_approval_that_cannot_go_through_leaves_it_to_the_supervisor(
    client, app, hue, session, smtp_server, make_user
):
    """The address got an account between the registration and the click: the
    link still verifies the e-mail (never the approver's message to the
    registrant), and the registration waits for the ward's supervisor."""
    from signage.units import registration

    ward = hue.orgs["ward_b"]
    registration.set_auto_approve(session, ward, True)
    session.commit()
    _register(client, _form(ward.id, ward_code="19768"))
    path = _verify_link(smtp_server, "banhbeo@example.vn")
    make_user(Role.HEALTH, email="banhbeo@example.vn")
    page = _confirm(client, path)
    assert page.status_code == 200
    assert "đang chờ đơn vị cấp trên duyệt" in page.get_data(as_text=True)
    assert session.query(Registration).one().state is RegState.PENDING
    assert session.query(Organisation).filter_by(name=_form(0)["name"]).count() == 0
