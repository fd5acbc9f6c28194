"""The app's caches (signage/caches.py): per app, keyed on what the content is made
from, and never serving what changed."""

from __future__ import annotations

from sqlalchemy import event

from signage.checkin import gate


def _cache(app, name):
    return app.extensions["signage.caches"].by_name[name]


def test_scan_page_cache_is_keyed_on_the_venue_not_the_query_string(
    app, client, make_venue
):
    venue = make_venue(name="Quán Bà Đào")
    pages = [
        client.get(f"/C/{venue.token}?utm={i}").get_data(as_text=True)
        for i in range(20)
    ]
    assert len(_cache(app, "scan_page")) == 1  # random query strings add nothing
    assert all("Quán Bà Đào" in p for p in pages)
    # The language links lead back to the canonical page, not to the query string.
    assert "utm=" not in pages[-1] and "utm%3D" not in pages[-1]
    assert f"next=/C/{venue.token}" in pages[-1]
    # Each visitor still gets a form of its own.
    assert len({p.split('name="submission_id" value="')[1][:22] for p in pages}) == 20


def test_scan_page_shows_an_edit_at_once(app, client, session, make_venue):
    venue = make_venue(name="Tên cũ")
    assert "Tên cũ" in client.get(f"/C/{venue.token}").get_data(as_text=True)
    venue.name = "Tên mới"
    session.commit()
    page = client.get(f"/C/{venue.token}").get_data(as_text=True)
    assert "Tên mới" in page and "Tên cũ" not in page
    client.set_cookie("lang", "en")
    en = client.get(f"/C/{venue.token}").get_data(as_text=True)
    assert "Tên mới" in en and '<html lang="en">' in en
    assert len(_cache(app, "scan_page")) == 3  # old venue row, new row (vi, en)


def test_caches_belong_to_their_app(app, client, make_venue):
    from signage import create_app

    venue = make_venue()
    client.get(f"/C/{venue.token}")
    other = create_app({**app.config, "TESTING": True})
    assert len(_cache(app, "scan_page")) == 1
    assert len(_cache(other, "scan_page")) == 0


def test_check_in_reuses_the_venue_the_scan_page_read(app, client, make_venue, scan):
    venue = make_venue()
    _resp, hidden = scan(client, venue)  # reads the venue and remembers it
    with app.app_context():
        writer = gate._writer_engine(app)
    seen: list[str] = []

    @event.listens_for(writer, "before_cursor_execute")
    def record(conn, cursor, statement, *args):  # noqa: ARG001
        seen.append(statement)

    data = {"name": "Lê Văn Cường", "phone": "0901234567", "consent": "y", **hidden}
    assert client.post(f"/C/{venue.token}", data=data).status_code == 303
    assert any(s.startswith("INSERT") for s in seen)
    # The venue read (which joins its organisation) did not run again; PostgreSQL's
    # advisory lock statements are the only others.
    assert not any("organisations" in s for s in seen)


def test_check_in_with_a_remembered_venue_that_changed_reads_it_afresh(
    client, session, make_venue, scan
):
    venue = make_venue(stay_minutes=30)
    _resp, hidden = scan(client, venue)
    venue.active = False  # closed after the visitor opened the form
    session.commit()
    data = {"name": "Lê Văn Cường", "phone": "0901234567", "consent": "y", **hidden}
    assert client.post(f"/C/{venue.token}", data=data).status_code == 410
