"""CSV import through the portal and the CLI: preview, confirm, all or nothing."""

from __future__ import annotations

import csv
import io
import re
import time

from signage.accounts.models import Role
from signage.audit import AuditEvent
from signage.venues import csvimport
from signage.venues.models import Venue

from ..helpers import csrf_token

HEADERS = list(csvimport.HEADERS.values())


def _csv(rows, delimiter=",") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(HEADERS)
    w.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _upload(client, org, raw: bytes):
    url = f"/orgs/{org.id}/venues/import"
    return client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "file": (io.BytesIO(raw), "dia-diem.csv"),
        },
        content_type="multipart/form-data",
    )


def _confirm(client, org, page: str):
    payload = re.search(r'name="payload"[^>]*value="([^"]+)"', page)
    assert payload, "no confirm form on the preview"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post(
        f"/orgs/{org.id}/venues/import/confirm",
        data={"csrf_token": token, "payload": payload.group(1)},
    )


def _manager(client, make_org, make_user, login_as=True):
    from ..helpers import login

    org = make_org()
    user = make_user(Role.MANAGER, org)
    if login_as:
        login(client, user)
    return org, user


def test_template_download_is_utf8_bom_csv(client, make_org, make_user):
    org, _u = _manager(client, make_org, make_user)
    resp = client.get(f"/orgs/{org.id}/venues/import/template.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith(b"\xef\xbb\xbf")
    assert "Tên địa điểm" in resp.data.decode("utf-8-sig")


def test_org_page_links_to_import(client, make_org, make_user):
    org, _u = _manager(client, make_org, make_user)
    page = client.get(f"/orgs/{org.id}/").get_data(as_text=True)
    assert f"/orgs/{org.id}/venues/import" in page
    assert "Nhập từ tệp CSV" in page


def test_preview_then_confirm_imports(client, session, make_org, make_user):
    org, user = _manager(client, make_org, make_user)
    rows = [
        ("Nhà hàng Cố Đô", "51 Lê Lợi", "P. Thuận Hóa", "Nhà hàng", "45"),
        ("Nhà văn hoá H'Hen Niê", "", "19900", "", ""),
    ]
    resp = _upload(client, org, _csv(rows, ";"))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Nhà hàng Cố Đô" in page and "Phường Thuận An" in page
    assert session.query(Venue).count() == 0  # preview writes nothing

    resp = _confirm(client, org, page)
    assert resp.status_code == 302
    venues = session.query(Venue).order_by(Venue.id).all()
    assert [v.name for v in venues] == ["Nhà hàng Cố Đô", "Nhà văn hoá H'Hen Niê"]
    assert all(v.organisation_id == org.id and len(v.token) == 10 for v in venues)
    event = session.query(AuditEvent).filter_by(action="venues.import").one()
    assert event.user_id == user.id and event.detail_dict["count"] == 2


def test_bad_file_lists_every_error_and_writes_nothing(
    client, session, make_org, make_user
):
    org, _u = _manager(client, make_org, make_user)
    rows = [("Tốt", "", "", "", "")] * 3 + [("", "", "Phường Mơ", "", "9999")]
    resp = _upload(client, org, _csv(rows))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "Thiếu tên địa điểm" in page
    assert "Phường Mơ" in page
    assert "Số phút phải từ 5 đến 1440" in page
    assert 'name="payload"' not in page  # no way to confirm a bad file
    assert session.query(Venue).count() == 0


def test_tampered_or_foreign_payload_is_refused(
    client, session, make_org, make_user, app
):
    org, _u = _manager(client, make_org, make_user)
    page = _upload(client, org, _csv([("A", "", "", "", "")])).get_data(as_text=True)
    tampered = page.replace(
        'name="payload" type="hidden" value="', 'name="payload" type="hidden" value="x'
    )
    assert _confirm(client, org, tampered).status_code == 400

    other = make_org()
    # The same signed payload posted to another organisation the admin could reach.
    payload = re.search(r'name="payload"[^>]*value="([^"]+)"', page).group(1)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post(
        f"/orgs/{other.id}/venues/import/confirm",
        data={"csrf_token": token, "payload": payload},
    )
    assert resp.status_code == 404
    assert session.query(Venue).count() == 0


def test_confirm_works_on_another_app_instance(
    client, session, make_org, make_user, app
):
    """Stateless across workers: nothing of the preview lives in the process."""
    org, _u = _manager(client, make_org, make_user)
    page = _upload(client, org, _csv([("A", "", "", "", "")])).get_data(as_text=True)
    from signage import create_app

    other = create_app({**app.config, "TESTING": True})
    second = other.test_client()
    second.set_cookie(
        app.config["SESSION_COOKIE_NAME"],
        client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value,
    )
    assert _confirm(second, org, page).status_code == 302
    assert session.query(Venue).count() == 1
    from signage.db import get_db

    get_db(other).engine.dispose()


def test_five_thousand_rows_import_in_seconds(client, session, make_org, make_user):
    org, _u = _manager(client, make_org, make_user)
    wards = ["P. Thuận Hóa", "Phường Phú Xuân", "19900", "xa phu vang", ""]
    rows = [
        (f"Cửa hàng số {i}", f"{i} Lê Lợi", wards[i % 5], "Cửa hàng", str(30 + i % 60))
        for i in range(5000)
    ]
    raw = _csv(rows)
    started = time.perf_counter()
    resp = _upload(client, org, raw)
    assert resp.status_code == 200
    resp = _confirm(client, org, resp.get_data(as_text=True))
    elapsed = time.perf_counter() - started
    assert resp.status_code == 302
    assert session.query(Venue).count() == 5000
    tokens = {t for (t,) in session.query(Venue.token)}
    assert len(tokens) == 5000
    print(f"\n5000-row import (preview + confirm): {elapsed:.2f} s")
    assert elapsed < 10


def test_cli_import_dry_run_and_errors(app, session, make_org, tmp_path):
    org = make_org()
    good = tmp_path / "good.csv"
    good.write_bytes(_csv([("Quầy A", "", "", "", ""), ("Quầy B", "", "", "", "")]))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["venues", "import", str(good), "--org", str(org.id), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "2 venues valid" in result.output
    assert session.query(Venue).count() == 0

    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv([("Quầy A", "", "", "", ""), ("", "", "", "", "7")]))
    result = runner.invoke(args=["venues", "import", str(bad), "--org", str(org.id)])
    assert result.exit_code == 1
    assert "3:Tên địa điểm: Thiếu tên địa điểm." in result.output
    assert session.query(Venue).count() == 0

    result = runner.invoke(args=["venues", "import", str(good), "--org", str(org.id)])
    assert result.exit_code == 0, result.output
    assert session.query(Venue).count() == 2
    listed = runner.invoke(args=["venues", "list"]).output.splitlines()
    assert listed[0] == "token,name,organisation"
    assert {line.split(",")[1] for line in listed[1:]} == {"Quầy A", "Quầy B"}
