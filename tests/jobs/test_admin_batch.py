"""The province admin's board batch: a ward, a kind of organisation, the province."""

from __future__ import annotations

import io
import zipfile

import pypdfium2 as pdfium

from signage.accounts.models import OrgKind, Role
from signage.posters.models import BoardDownload
from signage.venues import services as venues

from ..helpers import csrf_token, job_result, login


def _org(make_org, session, name, kind, ward, n):
    org = make_org(name=name, kind=kind, ward_code=ward)
    rows = [
        venues.VenueData(name=f"{name} – quầy {i}", ward_code=ward) for i in range(n)
    ]
    venues.create_venues(session, org, rows)
    session.commit()
    return org


def _post(client, data):
    token = csrf_token(client, "/admin/boards")
    return client.post("/admin/boards", data={**data, "csrf_token": token})


def test_a_ward_batch_is_one_pdf_of_that_wards_venues(
    client, session, make_org, make_user
):
    _org(make_org, session, "Trường A", OrgKind.SCHOOL, 19786, 2)
    _org(make_org, session, "Công ty B", OrgKind.BUSINESS, 19786, 1)
    _org(make_org, session, "Công ty C", OrgKind.BUSINESS, 19789, 3)
    login(client, make_user(Role.ADMIN))
    resp = job_result(
        client,
        _post(client, {"scope": "ward", "ward": "19786", "size": "a4", "fmt": "pdf"}),
    )
    body = resp.get_data()
    resp.close()
    # the ward's 3 boards, then the installer's instruction page
    assert len(pdfium.PdfDocument(body)) == 3 + 1
    assert session.query(BoardDownload).count() == 3


def test_a_kind_batch_is_a_zip_of_one_pdf_per_organisation(
    client, session, make_org, make_user
):
    b = _org(make_org, session, "Công ty B", OrgKind.BUSINESS, 19786, 1)
    c = _org(make_org, session, "Công ty C", OrgKind.BUSINESS, 19789, 3)
    _org(make_org, session, "Trường A", OrgKind.SCHOOL, 19786, 2)
    login(client, make_user(Role.ADMIN))
    resp = job_result(
        client,
        _post(
            client, {"scope": "kind", "kind": "business", "size": "a5", "fmt": "zip"}
        ),
    )
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as z:
        pages = {n: len(pdfium.PdfDocument(z.read(n))) for n in z.namelist()}
    resp.close()
    # each organisation's boards and its instruction page
    assert pages == {f"cong-ty-b-{b.id}.pdf": 1 + 1, f"cong-ty-c-{c.id}.pdf": 3 + 1}


def test_the_whole_province_and_bad_input(client, session, make_org, make_user):
    _org(make_org, session, "Trường A", OrgKind.SCHOOL, 19786, 2)
    login(client, make_user(Role.ADMIN))
    resp = job_result(
        client, _post(client, {"scope": "province", "size": "a3", "fmt": "pdf"})
    )
    body = resp.get_data()
    resp.close()
    assert len(pdfium.PdfDocument(body)) == 2 + 1  # and the instruction page
    for bad in (
        {"scope": "ward", "ward": "1", "size": "a4", "fmt": "pdf"},
        {"scope": "kind", "kind": "pirate", "size": "a4", "fmt": "pdf"},
        {"scope": "moon", "size": "a4", "fmt": "pdf"},
        {"scope": "province", "size": "a9", "fmt": "pdf"},
        {"scope": "province", "size": "a4", "fmt": "docx"},
        {"scope": "kind", "kind": "police", "size": "a4", "fmt": "pdf"},  # no venues
    ):
        assert _post(client, bad).status_code == 422, bad


def test_only_the_province_admin_has_the_page(client, make_org, make_user):
    login(client, make_user(Role.MANAGER, make_org()))
    assert client.get("/admin/boards").status_code == 404
