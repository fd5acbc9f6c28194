"""The QR policy: payload, encoding, runs, PNG and SVG."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from signage import qr


def test_payload_without_path_is_upper_case_and_alphanumeric_version_2():
    data = qr.payload("https://qr.example.vn/", "7kq2m9xw3d")
    assert data == "HTTPS://QR.EXAMPLE.VN/C/7KQ2M9XW3D"
    code = qr.make(data)
    assert code.mode == "alphanumeric"
    assert code.designator == "2-M"
    assert code.symbol_size(border=0) == (25, 25)


def test_lower_case_payload_would_need_version_3():
    code = qr.make("https://qr.example.vn/C/7KQ2M9XW3D")
    assert code.designator == "3-M"


def test_base_url_with_a_path_keeps_its_case():
    data = qr.payload("https://gov.example.vn/Hue", "7KQ2M9XW3D")
    assert data == "https://gov.example.vn/Hue/C/7KQ2M9XW3D"
    assert qr.make(data).designator.endswith("-M")


def test_never_micro_qr_and_error_level_m_even_for_tiny_data():
    code = qr.make("A")
    assert not code.is_micro
    assert code.error == "M"


def test_dark_runs_rebuild_the_matrix_exactly():
    code = qr.make(qr.payload("https://qr.example.vn", "7KQ2M9XW3D"))
    n = len(code.matrix)
    rebuilt = [[0] * n for _ in range(n)]
    for y, x, w in qr.dark_runs(code):
        assert w >= 1
        for i in range(x, x + w):
            assert rebuilt[y][i] == 0
            rebuilt[y][i] = 1
    assert rebuilt == [list(row) for row in code.matrix]
    assert qr.pdf_path(code).count(" re") == len(list(qr.dark_runs(code)))


def test_short_url_and_domain():
    assert qr.display_domain("https://QR.Example.vn/") == "qr.example.vn"
    assert qr.short_url("https://qr.example.vn") == "qr.example.vn/C"


@pytest.mark.parametrize("px", [1, 3, 10, 40])
def test_png_is_whole_pixels_per_module_with_quiet_zone(px):
    data = qr.payload("https://qr.example.vn", "7KQ2M9XW3D")
    img = Image.open(io.BytesIO(qr.png(data, px)))
    assert img.size == ((25 + 2 * qr.QUIET_ZONE) * px,) * 2
    if px >= 3:
        big = img.convert("L").resize((img.width * 2, img.height * 2), Image.NEAREST)
        assert [r.text for r in zxingcpp.read_barcodes(big)] == [data]


@pytest.mark.parametrize("px", [0, 41, -1])
def test_png_refuses_out_of_range_sizes(px):
    with pytest.raises(ValueError):
        qr.png("HTTPS://QR.EXAMPLE.VN/C/7KQ2M9XW3D", px)


def test_svg_is_one_dark_path_on_a_white_quiet_zone():
    svg = qr.svg("HTTPS://QR.EXAMPLE.VN/C/7KQ2M9XW3D")
    root = ET.fromstring(svg)
    assert root.get("width") == root.get("height") == str(25 + 2 * qr.QUIET_ZONE)
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert [p.get("fill") for p in paths if p.get("fill")] == ["#fff"]
    assert len([p for p in paths if p.get("stroke") == "#000"]) == 1
