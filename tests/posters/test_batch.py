"""A whole organisation's boards: 2,000 venues, one PDF, every page its own venue."""

from __future__ import annotations

import time

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from signage import qr
from signage.accounts.models import Role
from signage.posters.models import BoardDownload
from signage.venues import services as venues
from signage.venues.models import Venue

from ..helpers import job_result, login, start_org_batch
from .conftest import decode_page

N = 2000
BASE = "https://qr.example.vn"


@pytest.mark.slow
def test_a_batch_of_2000_venues_is_one_pdf_each_page_its_own_venue(
    client, session, make_org, make_user
):
    org = make_org()
    rows = [venues.VenueData(name=f"Điểm kiểm tra số {i:04d}") for i in range(N)]
    venues.create_venues(session, org, rows)
    session.commit()
    login(client, make_user(Role.MANAGER, org))

    started = time.perf_counter()
    resp = job_result(client, start_org_batch(client, org.id, "a4"))
    assert resp.status_code == 200
    data = resp.data
    resp.close()
    render_s = time.perf_counter() - started

    expected = [
        qr.payload(BASE, token)
        for token in session.scalars(
            select(Venue.token)
            .where(Venue.organisation_id == org.id)
            .order_by(Venue.name, Venue.id)
        )
    ]
    doc = pdfium.PdfDocument(data)
    assert len(doc) == N + 1  # and the instruction page
    decoded = []
    for i in range(N):
        page = doc[i]
        # 24 dpi (2.5 px per 2.6 mm module of the version-8 board) still decodes,
        # and keeps this test fast.
        decoded.append([r.text for r in decode_page(page, 24)])
        page.close()
    doc.close()
    assert decoded == [[payload] for payload in expected]
    assert len(set(expected)) == N
    logged = session.scalar(
        select(func.count(func.distinct(BoardDownload.venue_id))).where(
            BoardDownload.organisation_id == org.id, BoardDownload.batch.is_(True)
        )
    )
    assert logged == N
    # About 11 ms per board on an idle machine (bench/boards.py: segno's mask
    # choice for the version-8 symbol is most of it), so about 22 s here; the
    # bound leaves room for a loaded CI machine (77 s seen at load 7 on 2 cores)
    # and still catches a board several times slower.
    assert render_s < 90, render_s
    assert len(data) / N < 5 * 1024
