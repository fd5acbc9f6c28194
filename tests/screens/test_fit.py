"""Posters that fit: title-safe margins, portrait space used, overflow reported,
publishing refused, the typed code under a check-in QR, no one-word last line."""

from __future__ import annotations

from PIL import Image, ImageChops
from sqlalchemy import select

from signage.accounts.models import Role
from signage.fonts import REGULAR
from signage.screens import services
from signage.screens.models import Loop, LoopVersion
from signage.screens.screen import SlideSpec, _no_orphan, fits, render
from tests.helpers import login, post_form

DEMO = SlideSpec(
    kind="poster",
    title="Giải chạy 5K vì cộng đồng",
    body="6 giờ sáng Chủ nhật, xuất phát tại Phu Văn Lâu.\n"
    "Đăng ký miễn phí tại quầy lễ tân hoặc quét mã trước để nhận quà",
    qr_payload="https://hue-s.vn/5k",
    qr_caption="Đăng ký chạy 5K",
)
LONG = "Thông báo " + " ".join(["người dân cần quét mã khi vào cửa"] * 25)


def _ink(img, bg=(11, 83, 148)):
    """(left, top, right, bottom) of everything that is not the background."""
    return ImageChops.difference(img, Image.new("RGB", img.size, bg)).getbbox()


def test_text_keeps_five_percent_title_safe_margins_on_both_axes():
    spec = SlideSpec(kind="poster", title="Tiêu đề rất dài " * 6, body="Nội dung " * 30)
    qr = SlideSpec(
        kind="qr",
        title="Quét mã khi vào cửa " * 3,
        qr_payload="HTTPS://QR.EXAMPLE.VN/C/ABCDEFGHJK",
        qr_caption="Khách sạn Hương Giang " * 3,
        qr_code="Không quét được? Vào qr.example.vn/C, nhập mã ABCDEFGHJK",
    )
    for s in (spec, DEMO, qr):
        for w, h in ((1920, 1080), (1080, 1920)):
            left, top, right, bottom = _ink(render(s, w, h))
            assert top >= 0.05 * h and bottom <= 0.95 * h, (s.kind, w, h)
            assert left >= 0.05 * w and right <= 0.95 * w, (s.kind, w, h)


def test_the_demo_poster_fits_portrait_and_long_text_is_reported():
    for w, h in ((1920, 1080), (1080, 1920), (720, 1280)):
        assert fits(DEMO, w, h), (w, h)
    long = SlideSpec(kind="poster", title="Thông báo", body=LONG)
    assert fits(long, 1920, 1080)
    assert not fits(long, 1080, 1920)


def test_no_one_word_last_line_when_the_line_above_can_spare_one():
    from PIL import ImageFont

    font = ImageFont.truetype(str(REGULAR), 40)
    lines = ["Đăng ký miễn phí tại quầy lễ tân", "quà"]
    assert _no_orphan(lines, font.getlength, 800) == [
        "Đăng ký miễn phí tại quầy lễ",
        "tân quà",
    ]
    assert _no_orphan(["Hai từ", "quà"], font.getlength, 800) == ["Hai từ", "quà"]


def _drawn_text(monkeypatch, spec, w, h, sizes=None):
    """Every string the renderer draws on the slide, in order (and in ``sizes`` the
    pixel size of the font of each)."""
    from PIL import ImageDraw

    drawn: list[str] = []
    original = ImageDraw.ImageDraw.text

    def text(self, xy, line, *args, **kwargs):
        drawn.append(line)
        if sizes is not None:
            sizes.append(kwargs["font"].size)
        return original(self, xy, line, *args, **kwargs)

    monkeypatch.setattr(ImageDraw.ImageDraw, "text", text)
    render(spec, w, h)
    monkeypatch.undo()
    return drawn


def test_no_text_is_drawn_below_the_legibility_floor(monkeypatch):
    """3.5 % of the screen height, for every line of every kind, even text too long
    to fit (which is then reported and cut, never shrunk further)."""
    long = SlideSpec(kind="poster", title="Thông báo", body=LONG)
    qr = SlideSpec(
        kind="qr",
        title="Quét mã khi vào cửa",
        qr_payload="HTTPS://QR.EXAMPLE.VN/C/ABCDEFGHJK",
        qr_caption="Khách sạn Hương Giang",
        qr_code="Không quét được? Vào qr.example.vn/C, nhập mã ABCDEFGHJK",
    )
    for spec in (DEMO, long, qr):
        for w, h in ((1080, 1920), (1920, 1080), (720, 1280)):
            sizes: list[int] = []
            _drawn_text(monkeypatch, spec, w, h, sizes)
            assert sizes and min(sizes) >= round(0.035 * h), (spec.kind, w, h)


def test_check_in_qr_slides_print_the_code_to_type(
    session, app, make_venue, make_loop, monkeypatch
):
    venue = make_venue(name="Khách sạn Hương Giang")
    loop = make_loop(
        [
            {
                "kind": "qr",
                "title": "Quét mã khi vào cửa",
                "qr_venue_id": venue.id,
                "qr_caption": venue.name,
            }
        ]
    )
    snap = services.slide_snapshot(session, loop.slides[0], "https://qr.example.vn")
    assert snap["qr_code"] == (
        f"Không quét được? Vào qr.example.vn/C, nhập mã {venue.token}"
    )
    base = SlideSpec(kind="qr", title="Quét mã", qr_payload=snap["qr"])
    with_code = SlideSpec(**{**base.__dict__, "qr_code": snap["qr_code"]})
    a, b = render(base, 1080, 1920), render(with_code, 1080, 1920)
    assert _ink(b)[3] > _ink(a)[3]  # a line of text under the code
    # The whole code, on a line of its own, at every size (the portrait slide
    # used to drop it: the caption and the instruction took the two lines).
    spec = SlideSpec(
        kind="qr",
        title=snap["title"],
        qr_payload=snap["qr"],
        qr_caption=snap["qr_caption"],
        qr_code=snap["qr_code"],
    )
    for w, h in ((1080, 1920), (1920, 1080), (720, 1280), (1280, 720)):
        drawn = _drawn_text(monkeypatch, spec, w, h)
        assert venue.token in drawn and "Khách sạn Hương Giang" in drawn, (w, h)
        assert fits(spec, w, h), (w, h)


def test_a_qr_caption_longer_than_two_lines_is_reported_not_cut_silently(
    monkeypatch,
):
    caption = ("Ưu đãi cho khách quét mã tại quầy lễ tân " * 5)[:200]  # the most
    spec = SlideSpec(kind="qr", title="Quét mã", qr_payload="https://a.vn/x")
    long = SlideSpec(**{**spec.__dict__, "qr_caption": caption})
    poster = SlideSpec(kind="poster", title="Ưu đãi", qr_payload="https://a.vn/x")
    long_poster = SlideSpec(**{**poster.__dict__, "qr_caption": caption})
    for w, h in ((1080, 1920), (1920, 1080)):
        assert fits(SlideSpec(**{**spec.__dict__, "qr_caption": "Sảnh A"}), w, h)
        assert not fits(long, w, h) and not fits(long_poster, w, h), (w, h)
        drawn = _drawn_text(monkeypatch, long, w, h)
        assert drawn[-1].endswith("…")  # what the render shows is marked cut


def test_publishing_refuses_text_that_does_not_fit_and_names_the_sizes(
    client, session, make_user
):
    login(client, make_user(Role.EDITOR))
    post_form(client, "/screens/loops", {"name": "Thông báo"}, "/screens/")
    loop = session.scalar(select(Loop))
    form = {
        "title": "Thông báo",
        "body": LONG[:990],
        "background": "#0b5394",
        "foreground": "#ffffff",
        "duration": "10",
        "weekdays": [str(i) for i in range(7)],
        "enabled": "y",
    }
    resp = post_form(client, f"/screens/loops/{loop.id}/slides/new?kind=poster", form)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "chữ không vừa ở 1080×1920" in page
    resp = post_form(
        client, f"/screens/loops/{loop.id}/publish", {}, f"/screens/loops/{loop.id}"
    )
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Chưa phát hành: chữ không vừa" in page and "1080×1920" in page
    assert session.scalar(select(LoopVersion)) is None


def test_a_slightly_smaller_size_avoids_a_word_alone_on_the_last_line():
    """Where the line above cannot take the word ("THÔNG / TIN": one word each),
    a size at most 15 % smaller sets the text without a one-word last line."""
    from signage.screens import screen

    cases = [
        ("MÃ QR KHAI BÁO Y TẾ – PHẢN HỒI THÔNG TIN", "UBND tỉnh Thừa Thiên Huế"),
        ("Bão số 5", "Hạn chế ra đường từ 18:00. Tránh xa bờ sông và cây lớn."),
    ]
    for title, body in cases:
        for w, h in ((1080, 1920), (1920, 1080), (720, 1280)):
            box = screen._safe_area(w, h)
            fit = screen._fit(title, body, box, screen._min_px(h))
            for lines in (fit.title_lines, fit.body_lines):
                assert len(lines) == 1 or " " in lines[-1], (w, h, lines)
            assert fit.height() <= box.h and fit.body_px >= screen._min_px(h)
