"""`flask boards render` and `flask boards batch`."""

from __future__ import annotations

from sqlalchemy import func, select

from signage import qr
from signage.posters.models import BoardDownload

from .conftest import decode_pdf

BASE = "https://qr.example.vn"


def _rows(session, **where):
    q = select(func.count(BoardDownload.id))
    for key, value in where.items():
        q = q.where(getattr(BoardDownload, key) == value)
    return session.scalar(q)


def test_render_writes_the_board_of_a_token_in_any_case(
    app, session, make_venue, tmp_path
):
    venue = make_venue(name="Thư viện")
    out = tmp_path / "board.pdf"
    result = app.test_cli_runner().invoke(
        args=["boards", "render", venue.token.lower(), "--size", "A3", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert decode_pdf(out.read_bytes(), 72) == [[qr.payload(BASE, venue.token)]]
    assert _rows(session, venue_id=venue.id, size="a3", batch=False) == 1


def test_render_unknown_token_fails_cleanly(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["boards", "render", "ZZZZZZZZZZ", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 1
    assert "ZZZZZZZZZZ" in result.output


def test_batch_renders_every_active_venue(app, session, make_org, make_venue, tmp_path):
    org = make_org()
    made = [make_venue(org, name=f"Quầy {i}") for i in range(3)]
    make_venue()  # another organisation's venue stays out
    out = tmp_path / "boards.pdf"
    result = app.test_cli_runner().invoke(
        args=["boards", "batch", "--org", str(org.id), "--size", "a4", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3 boards" in result.output
    pages = decode_pdf(out.read_bytes(), 50)
    assert pages == [[qr.payload(BASE, v.token)] for v in made]
    assert _rows(session, organisation_id=org.id, batch=True) == 3


def test_batch_of_unknown_org_is_an_error(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["boards", "batch", "--org", "999", "-o", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2
    assert "999" in result.output
