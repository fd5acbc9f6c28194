"""Reminders to laggards: each organisation's own missing items, throttled, logged."""

from __future__ import annotations

from signage.audit import AuditEvent
from signage.campaign import services as campaign
from signage.units.models import Reminder

from ..helpers import csrf_token, login


def _remind(client, url: str, data: dict):
    token = csrf_token(client, "/units/")
    return client.post(url, data={**data, "csrf_token": token})


def test_supervisor_reminds_chosen_laggards_with_their_own_items(
    client, hue, session, smtp_server, make_user
):
    hue.orgs["cafe"].contact_email = "cafe@example.vn"
    session.add(hue.orgs["cafe"])
    # The deadline as the province set it in the campaign settings (not the config).
    values = dict.fromkeys(campaign.FORM_FIELDS, "")
    campaign.save(session, campaign.clean({**values, "deadline": "2026-12-31"}))
    session.commit()
    login(client, hue.users["sup_a"])
    resp = _remind(
        client,
        "/units/remind",
        {"scope": "chosen", "org_ids": [str(hue.orgs["hotel"].id)]},
    )
    assert resp.status_code == 302
    mail = smtp_server.last_to(hue.users["hotel"].email)
    body = mail.get_body().get_content()
    assert "Khách sạn Sông Hương" in str(mail["Subject"])
    assert "1 / 2 địa điểm đã có bảng" in body and "Hồ bơi" in body
    assert "Sảnh khách sạn" not in body  # it has its board
    assert "Chưa gửi báo cáo triển khai" in body
    assert "Hạn hoàn thành: 31/12/2026." in body, body
    assert smtp_server.to("cafe@example.vn") == []  # not chosen
    # all: the café now; the hotel was reminded moments ago (throttled)
    _remind(client, "/units/remind", {"scope": "all"})
    cafe = smtp_server.last_to("cafe@example.vn").get_body().get_content()
    assert "Chưa đăng ký địa điểm" in cafe
    assert len(smtp_server.to(hue.users["hotel"].email)) == 1
    logged = {r.organisation_id: r for r in session.query(Reminder)}
    assert set(logged) == {hue.orgs["hotel"].id, hue.orgs["cafe"].id}
    assert logged[hue.orgs["hotel"].id].missing == "boards,posted,report"
    events = session.query(AuditEvent).filter_by(action="units.reminders").all()
    assert [e.detail_dict["throttled"] for e in events] == [0, 1]


def test_reminders_never_leave_the_subtree(client, hue, session, smtp_server):
    login(client, hue.users["sup_a"])
    market = hue.orgs["market"]
    market.contact_email = "cho@example.vn"
    session.add(market)
    session.commit()
    _remind(client, "/units/remind", {"scope": "chosen", "org_ids": [str(market.id)]})
    assert smtp_server.to("cho@example.vn") == []
    assert session.query(Reminder).count() == 0
    resp = _remind(client, f"/units/{hue.orgs['ward_b'].id}/remind", {"scope": "all"})
    assert resp.status_code == 404


def test_many_reminders_run_as_a_job(app, client, hue, session, smtp_server, make_org):
    """Over IN_REQUEST organisations the reminders go out from a job, in chunks,
    each organisation once."""
    from signage.units import remind, tree

    app.config["REMINDER_EVERY_DAYS"] = 7
    made = []
    for i in range(remind.IN_REQUEST + 1):
        org = make_org(name=f"Quán {i:03d}")
        org.contact_email = f"quan{i}@example.vn"
        session.add(org)
        tree.set_parent(session, org, hue.orgs["ward_b"].id)
        made.append(org)
    session.commit()
    login(client, hue.users["sup_b"])
    token = csrf_token(client, "/units/")
    resp = client.post("/units/remind", data={"scope": "all", "csrf_token": token})
    assert resp.status_code == 302 and "/jobs/" in resp.headers["Location"]
    state = client.get(resp.headers["Location"], headers={"Accept": "application/json"})
    assert state.get_json()["state"] == "done"
    for org in made:
        body = smtp_server.last_to(org.contact_email).get_body().get_content()
        assert "Chưa đăng ký địa điểm" in body
    # the market (no address) and the new ones: each logged once at most
    assert session.query(Reminder).count() == len(made)
