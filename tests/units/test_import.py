"""Organisation CSV import by supervisors (within their subtree) and the admin."""

from __future__ import annotations

import io

import pytest

from signage.accounts.models import Organisation

from ..helpers import csrf_token, login

HEADER = (
    "Tên tổ chức,Loại hình,Đơn vị cấp trên,Phường/xã,Địa chỉ,Mã số thuế,"
    "Người liên hệ,Điện thoại,Email người quản lý\n"
)


def _upload(client, text: str):
    token = csrf_token(client, "/units/import/")
    return client.post(
        "/units/import/",
        data={"csrf_token": token, "file": (io.BytesIO(text.encode()), "to-chuc.csv")},
        content_type="multipart/form-data",
    )


def _confirm(client, page: str):
    import re

    payload = re.search(r'name="payload"[^>]*value="([^"]+)"', page).group(1)
    token = csrf_token(client, "/units/import/")
    return client.post(
        "/units/import/confirm", data={"csrf_token": token, "payload": payload}
    )


def test_supervisor_imports_under_its_unit(client, hue, session):
    login(client, hue.users["sup_a"])
    text = HEADER + (
        "Quán Bún Bò Mụ Rơi,Doanh nghiệp,,Phường Thuận Hóa,5 Lê Lợi,0100233488,"
        "Mụ Rơi,0905111222,\n"
        "Tiệm sách Phương Nam,Doanh nghiệp,Khách sạn Sông Hương,,7 Lê Lợi,,,,\n"
    )
    resp = _upload(client, text)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    page = resp.get_data(as_text=True)
    assert "2 tổ chức" in page
    assert session.query(Organisation).filter_by(name="Quán Bún Bò Mụ Rơi").count() == 0
    assert _confirm(client, page).status_code == 302
    bun = session.query(Organisation).filter_by(name="Quán Bún Bò Mụ Rơi").one()
    assert bun.parent_id == hue.orgs["ward_a"].id and bun.tax_code == "0100233488"
    assert bun.contact_phone == "0905111222"
    shop = session.query(Organisation).filter_by(name="Tiệm sách Phương Nam").one()
    assert shop.parent_id == hue.orgs["hotel"].id


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("X,Doanh nghiệp,UBND phường Phú Xuân,,,,,,", "không thuộc phạm vi quản lý"),
        ("X,Doanh nghiệp,Không có đơn vị này,,,,,,", "Không tìm thấy đơn vị cấp trên"),
        ("X,Doanh nghiệp,,,,0100233489,,,", "sai (số kiểm tra)"),
        ("X,Tàu vũ trụ,,,,,,,", "không có trong danh sách"),
        ("X,Doanh nghiệp,,,,,,12,", "không hợp lệ"),
    ],
)
def test_bad_rows_are_listed_and_nothing_is_stored(client, hue, session, row, message):
    login(client, hue.users["sup_a"])
    before = session.query(Organisation).count()
    resp = _upload(client, HEADER + "Quán tốt,Doanh nghiệp,,,,,,,\n" + row + "\n")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and "<td>3</td>" in page  # the file's line
    assert session.query(Organisation).count() == before


def test_admin_imports_a_large_file_as_a_job(app, client, hue, session):
    app.config["IMPORT_JOB_ROWS"] = 2
    login(client, hue.users["admin"])
    rows = "".join(
        f"Cửa hàng {i},Doanh nghiệp,UBND phường Phú Xuân,,,,,,\n" for i in range(5)
    )
    page = _upload(client, HEADER + rows).get_data(as_text=True)
    resp = _confirm(client, page)
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    state = client.get(resp.headers["Location"], headers={"Accept": "application/json"})
    assert state.get_json()["state"] == "done"
    made = (
        session.query(Organisation).filter(Organisation.name.like("Cửa hàng %")).all()
    )
    assert len(made) == 5
    assert {o.parent_id for o in made} == {hue.orgs["ward_b"].id}


def test_imported_managers_are_invited_by_mail(client, hue, session, smtp_server):
    login(client, hue.users["sup_b"])
    text = HEADER + "Quán Chè Hẻm,Doanh nghiệp,,,,,,,chehem@example.vn\n"
    page = _upload(client, text).get_data(as_text=True)
    assert _confirm(client, page).status_code == 302
    org = session.query(Organisation).filter_by(name="Quán Chè Hẻm").one()
    assert org.parent_id == hue.orgs["ward_b"].id
    assert org.contact_email == "chehem@example.vn"
    mail = smtp_server.last_to("chehem@example.vn")
    assert "Quán Chè Hẻm" in mail.get_body().get_content()
    # the same address again (invited, not yet an account): refused on its line
    again = _upload(client, HEADER + "Quán khác,Doanh nghiệp,,,,,,,chehem@example.vn\n")
    assert again.status_code == 422
    assert "đang có lời mời" in again.get_data(as_text=True)


def test_supervisor_invites_a_member_organisations_manager(
    client, app, hue, session, smtp_server
):
    """On a member organisation's page the ward's supervisor invites its manager;
    the invitee follows the mailed link, chooses a password and runs that
    organisation. Never the neighbour's member, never another organisation's
    pending invitee."""
    from signage.accounts.models import Role, User
    from signage.audit import AuditEvent

    from ..mailserver import link_path

    cafe, market = hue.orgs["cafe"], hue.orgs["market"]
    login(client, hue.users["sup_a"])
    page = client.get(f"/units/orgs/{cafe.id}").get_data(as_text=True)
    assert 'id="invite-manager"' in page

    def invite(org_id: int, email: str):
        token = csrf_token(client, f"/units/orgs/{cafe.id}")
        return client.post(
            f"/units/orgs/{org_id}/invite", data={"csrf_token": token, "email": email}
        )

    assert invite(cafe.id, "Chu.Quan@CaPheMuoi.vn").status_code == 302
    mail = smtp_server.last_to("chu.quan@caphemuoi.vn")
    assert "Cà phê Muối" in mail.get_body().get_content()
    page = client.get(f"/units/orgs/{cafe.id}").get_data(as_text=True)
    assert "chu.quan@caphemuoi.vn" in page.split('id="invite-manager"')[1]
    assert session.query(AuditEvent).filter_by(action="units.manager_invited").count()

    # the neighbour's member: 404, nothing sent
    assert invite(market.id, "cho@example.vn").status_code == 404
    assert smtp_server.to("cho@example.vn") == []
    # an address already invited into the café cannot be taken for the hotel
    resp = invite(hue.orgs["hotel"].id, "chu.quan@caphemuoi.vn")
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "đang có lời mời vào một tổ chức khác" in page
    assert len(smtp_server.to("chu.quan@caphemuoi.vn")) == 1
    # a supervisor does not invite into its own unit from here
    assert invite(hue.orgs["ward_a"].id, "x@example.vn").status_code == 400

    link = next(
        u for u in smtp_server.links_to("chu.quan@caphemuoi.vn") if "/invite/" in u
    )
    invitee = app.test_client()
    path = link_path(link)
    token = csrf_token(invitee, path)
    resp = invitee.post(
        path,
        data={
            "csrf_token": token,
            "name": "Chủ quán",
            "password": "mat khau that dai",
            "confirm": "mat khau that dai",
        },
    )
    assert resp.status_code == 302
    user = session.query(User).filter_by(email="chu.quan@caphemuoi.vn").one()
    assert user.role is Role.MANAGER and user.organisation_id == cafe.id
