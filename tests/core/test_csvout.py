"""The one CSV writer: formula-safe cells, Excel-ready downloads, plain CLI output."""

from __future__ import annotations

import csv
import io
from datetime import date

from signage import csvout


def _parse(raw: bytes) -> list[list[str]]:
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_text_that_a_spreadsheet_would_run_stays_text():
    rows = [("=1+1", "+84 90", "-x", "@SUM(A1)", "\tx", "Quầy =lễ tân")]
    assert _parse(csvout.body(rows)) == [
        ["'=1+1", "'+84 90", "'-x", "'@SUM(A1)", "'\tx", "Quầy =lễ tân"]
    ]


def test_numbers_dates_and_none_are_written_as_values():
    assert _parse(csvout.body([(-3, 2.5, date(2026, 3, 5), None)])) == [
        ["-3", "2.5", "2026-03-05", ""]
    ]


def test_download_quotes_every_field_with_crlf_and_streams_in_chunks():
    rows = [("Tên", "Số")] + [(f"Khách {i}", i) for i in range(1200)]
    chunks = list(csvout.chunks(rows, every=500))
    assert len(chunks) == 4  # the header, up to row 500, up to 1000, the rest
    text = b"".join(chunks).decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0] == '"Tên","Số"' and lines[-1] == ""
    assert len(lines) == 1202


def test_terminal_output_has_no_bom_and_quotes_only_where_needed():
    out = io.StringIO()
    csvout.write(out, ("id", "name"), [(1, "Nhà ăn, tầng 2"), (2, "=cmd")])
    assert out.getvalue() == 'id,name\n1,"Nhà ăn, tầng 2"\n2,\'=cmd\n'


def test_venues_list_cli_neutralises_formula_names(app, make_org, make_venue):
    org = make_org(name="@Công ty")
    venue = make_venue(org, name='=HYPERLINK("http://x")')
    out = app.test_cli_runner().invoke(args=["venues", "list"])
    assert out.exit_code == 0, out.output
    rows = list(csv.reader(io.StringIO(out.output)))
    assert [venue.token, '\'=HYPERLINK("http://x")', "'@Công ty"] in rows


def test_csv_responses_name_their_charset_once(app, make_user, make_org):
    from signage.accounts.models import Role
    from tests.helpers import login

    org = make_org()
    seen = {}
    for role, urls in (
        (
            Role.ADMIN,
            [
                "/reports/deployment.csv",
                "/reports/laggards.csv",
                "/reports/adoption.csv",
                "/screens/reports.csv",
            ],
        ),
        (Role.MANAGER, [f"/orgs/{org.id}/venues/import/template.csv"]),
    ):
        client = app.test_client()
        login(client, make_user(role, org if role is Role.MANAGER else None))
        for url in urls:
            resp = client.get(url)
            assert resp.status_code == 200, url
            seen[url] = resp.headers["Content-Type"]
            resp.close()
    assert set(seen.values()) == {"text/csv; charset=utf-8"}, seen
