"""The board's layout: where everything goes on an A4 portrait board (A3 is the same,
scaled) and on a face of the A5 table tent.

Written in millimetres measured from the top-left corner of a face (how a designer
measures a sheet); :class:`Face` turns that into reportlab's points with the origin at
the bottom left. ``static`` draws what is the same on every board of a campaign (it
goes into the form XObject), ``variable`` what belongs to one venue.
"""

from __future__ import annotations

import io
import unicodedata
from functools import lru_cache
from pathlib import Path

from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from .. import qr
from ..text import clean_text
from ..venues.tokens import grouped
from .boards import Board, Campaign, Code
from .textfit import ASCENT, Fitted, fit, fit_line, wrap

REGULAR, BOLD = "NotoSans", "NotoSans-Bold"
A4_MM = (210.0, 297.0)
INK = HexColor("#111111")
GREY = HexColor("#4a4a4a")
LIGHT = HexColor("#8a8a8a")

STEPS = (
    "Mở camera hoặc ứng dụng quét mã QR trên điện thoại",
    "Hướng camera vào mã QR và mở đường dẫn hiện ra",
    "Khai báo thông tin, gửi phản hồi và bấm Xác nhận",
)
HINT = "Dán ở lối vào, nơi dễ thấy, cao khoảng 1,3 m so với mặt sàn."
TENT_HINT = "Gấp đôi theo đường nét đứt, đặt trên quầy hoặc bàn, nơi khách dễ thấy."
A3_SCALE = 420.0 / 297.0  # A3 is A4 scaled by sqrt(2)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", clean_text(text))


@lru_cache(maxsize=8)
def _logo_reader(logo: bytes | Path) -> ImageReader:
    """The logo decoded once per process, not once per chunk of a batch: decoding it
    again for every chunk cost time and left the allocator's memory fragmented."""
    return ImageReader(io.BytesIO(logo) if isinstance(logo, bytes) else str(logo))


class Face:
    """Drawing helpers in millimetres from the face's top-left corner.

    reportlab's origin is the bottom-left corner with y upwards; the caller has already
    moved the origin to this face's bottom-left (and rotated it for the upper face of
    the tent), so only the y axis needs flipping here.
    """

    def __init__(self, c: Canvas, width: float, height: float) -> None:
        self.c, self.w, self.h = c, width, height

    def y(self, top_mm: float) -> float:
        return (self.h - top_mm) * mm

    def rect(self, x: float, top: float, w: float, h: float, color: Color) -> None:
        self.c.setFillColor(color)
        self.c.rect(x * mm, self.y(top + h), w * mm, h * mm, stroke=0, fill=1)

    def text(
        self,
        x: float,
        baseline: float,
        s: str,
        font: str,
        size: float,
        color: Color = INK,
        align: str = "left",
    ) -> None:
        c = self.c
        c.setFont(font, size)
        c.setFillColor(color)
        if align == "center":
            c.drawCentredString(x * mm, self.y(baseline), s)
        elif align == "right":
            c.drawRightString(x * mm, self.y(baseline), s)
        else:
            c.drawString(x * mm, self.y(baseline), s)

    def lines(
        self,
        x: float,
        first_baseline: float,
        fitted: Fitted,
        font: str,
        color: Color = INK,
        align: str = "left",
    ) -> None:
        step = fitted.leading / mm
        for i, line in enumerate(fitted.lines):
            self.text(
                x, first_baseline + i * step, line, font, fitted.size, color, align
            )

    def boxed(
        self,
        fitted: Fitted,
        x: float,
        top: float,
        width: float,
        height: float,
        font: str,
        align: str,
    ) -> None:
        """The block of lines centred vertically in the box, marks included."""
        block = fitted.height / mm
        first = top + (height - block) / 2 + fitted.size * ASCENT / mm
        left = x + width / 2 if align == "center" else x
        self.lines(left, first, fitted, font, INK, align)

    def qr(self, code: Code, x: float, top: float, zone: float) -> None:
        """The symbol with its quiet zone filling the ``zone`` mm square at (x, top):
        the dark runs as one path and one fill.

        The literal operators set a transformation to module units with y downwards, so
        every rectangle is a few small integers; q/Q keep it off the rest of the page.
        """
        m = zone / (code.modules + 2 * qr.QUIET_ZONE) * mm
        x0 = x * mm + qr.QUIET_ZONE * m
        y0 = self.y(top) - qr.QUIET_ZONE * m
        self.c.addLiteral(
            f"q 0 g {m:.4f} 0 0 {-m:.4f} {x0:.3f} {y0:.3f} cm {code.path} f Q"
        )

    def logo(self, path: bytes | Path | None, cx: float, cy: float, r: float) -> None:
        self.c.setFillColor(white)
        self.c.circle(cx * mm, self.y(cy), r * mm, stroke=0, fill=1)
        if path is not None:
            s = r * 2 * 0.88
            self.c.drawImage(
                _logo_reader(path),
                (cx - s / 2) * mm,
                self.y(cy + s / 2),
                s * mm,
                s * mm,
                mask="auto",
                preserveAspectRatio=True,
            )

    def corners(self, x: float, top: float, size: float, color: Color) -> None:
        """Viewfinder corners around the quiet zone (drawn outside it)."""
        c, arm = self.c, min(14.0, size / 8)
        c.setStrokeColor(color)
        c.setLineWidth(1.6)
        c.setLineCap(1)
        for cx, cy, dx, dy in (
            (x, top, 1, 1),
            (x + size, top, -1, 1),
            (x, top + size, 1, -1),
            (x + size, top + size, -1, -1),
        ):
            p = c.beginPath()
            p.moveTo((cx + dx * arm) * mm, self.y(cy))
            p.lineTo(cx * mm, self.y(cy))
            p.lineTo(cx * mm, self.y(cy + dy * arm))
            c.drawPath(p, stroke=1, fill=0)

    def step_disc(self, n: int, cx: float, cy: float, r: float, color: Color) -> None:
        self.c.setFillColor(color)
        self.c.circle(cx * mm, self.y(cy), r * mm, stroke=0, fill=1)
        self.text(cx, cy + r * 0.43, str(n), BOLD, r * 3.4, white, "center")


def _colors(campaign: Campaign) -> tuple[Color, Color]:
    return HexColor(campaign.color), HexColor(campaign.accent)


def _band(
    f: Face,
    campaign: Campaign,
    *,
    width: float,
    height: float,
    stripe: float,
    logo: tuple[float, float, float],
    text: tuple[float, float],
    authority: tuple[float, float, float],
    title: tuple[float, float, float],
) -> tuple[Color, Color]:
    """The campaign band across the top of a face: colour bar, accent stripe, logo,
    the authority and the title centred between ``text`` (left, right), each
    shrunk to fit one line (``(baseline, max size, min size)``). Returns the
    campaign's colour and accent."""
    color, accent = _colors(campaign)
    f.rect(0, 0, width, height, color)
    f.rect(0, height, width, stripe, accent)
    f.logo(campaign.logo, *logo)
    left, right = text
    mid = (left + right) / 2
    lines = [(title, nfc(campaign.title), BOLD)]
    if campaign.authority:
        lines.insert(0, (authority, nfc(campaign.authority).upper(), REGULAR))
    for (y, max_size, min_size), words, font in lines:
        fit = fit_line(
            words, font, width=(right - left) * mm, max_size=max_size, min_size=min_size
        )
        f.text(mid, y, fit.lines[0], font, fit.size, white, "center")
    return color, accent


def _domain_warning(campaign: Campaign) -> str:
    return (
        f"Chỉ khai báo trên trang {campaign.domain}. Địa chỉ khác là giả mạo "
        "(mã dán đè): không nhập thông tin, báo ngay cho người quản lý."
    )


def _type_hint(campaign: Campaign) -> str:
    url = qr.short_url(campaign.base_url)
    return f"Không quét được? Mở trang {url} và nhập mã:"


class Portrait:
    """A4 portrait, 210 x 297 mm (A3 is the same drawing scaled by sqrt 2).

    A version-2 symbol is 25 modules of 6 mm = 15 cm, with its 4-module (24 mm) quiet
    zone kept free of any mark: 198 mm of the 210 mm width (a longer payload gets
    smaller modules in the same square, so the symbol only grows). Everything else
    shares the remaining 99 mm of height.
    """

    W, H = A4_MM
    MARGIN = 12.0
    NAME_TOP, NAME_H = 25.5, 21.5
    ZONE_X, ZONE_TOP, ZONE = 6.0, 57.5, 198.0

    @classmethod
    def static(cls, f: Face, campaign: Campaign) -> None:
        color, accent = _band(
            f,
            campaign,
            width=cls.W,
            height=21,
            stripe=1.4,
            logo=(15.5, 10.5, 8.2),
            text=(28.0, cls.W - 8),
            authority=(7.6, 8.5, 6),
            title=(16.6, 23, 12),
        )
        inner = cls.W - 2 * cls.MARGIN

        f.corners(cls.ZONE_X, cls.ZONE_TOP, cls.ZONE, color)
        below = cls.ZONE_TOP + cls.ZONE  # 255.5
        f.text(
            cls.W / 2, below + 4.6, _type_hint(campaign), REGULAR, 8.5, GREY, "center"
        )
        col = inner / 3
        for i, step in enumerate(STEPS):
            x = cls.MARGIN + i * col
            f.step_disc(i + 1, x + 3.3, below + 19.2, 3.3, color)
            lines = wrap(nfc(step), REGULAR, 7.6, (col - 10) * mm)[:2]
            for j, line in enumerate(lines):
                f.text(
                    x + 8.2,
                    below + 18.4 + j * 3.3 - 1.6 * (len(lines) - 1),
                    line,
                    REGULAR,
                    7.6,
                    INK,
                )
        warn = fit_line(
            _domain_warning(campaign), BOLD, width=inner * mm, max_size=8, min_size=5.5
        )
        f.text(
            cls.W / 2, below + 28.6, warn.lines[0], BOLD, warn.size, accent, "center"
        )
        f.text(cls.MARGIN, below + 33.4, HINT, REGULAR, 7, LIGHT)

    @classmethod
    def variable(cls, f: Face, board: Board, campaign: Campaign, code: Code) -> None:
        color, _accent = _colors(campaign)
        inner = cls.W - 2 * cls.MARGIN
        name = fit(
            nfc(board.name),
            BOLD,
            width=inner * mm,
            height=cls.NAME_H * mm,
            max_size=36,
            min_size=12,
        )
        f.boxed(name, cls.MARGIN, cls.NAME_TOP, inner, cls.NAME_H, BOLD, "center")
        org = fit_line(
            nfc(board.organisation), BOLD, width=inner * mm, max_size=10.5, min_size=7
        )
        f.text(cls.W / 2, 50.6, org.lines[0], BOLD, org.size, color, "center")
        addr = fit_line(
            nfc(board.address), REGULAR, width=inner * mm, max_size=9, min_size=6.5
        )
        f.text(cls.W / 2, 55.0, addr.lines[0], REGULAR, addr.size, GREY, "center")
        f.qr(code, cls.ZONE_X, cls.ZONE_TOP, cls.ZONE)
        below = cls.ZONE_TOP + cls.ZONE
        f.text(cls.W / 2, below + 11.4, grouped(board.token), BOLD, 19, INK, "center")
        f.text(
            cls.W - cls.MARGIN,
            below + 33.4,
            f"Tạo ngày {board.generated:%d/%m/%Y}",
            REGULAR,
            7,
            LIGHT,
            "right",
        )


class TentFace:
    """One face of the A5 table tent: 210 x 148.5 mm, landscape, its top at the fold.

    The QR (with its quiet zone) takes the left square; the text the right column.
    """

    W, H = A4_MM[0], A4_MM[1] / 2
    ZONE_X, ZONE_TOP, ZONE = 4.0, 19.0, 123.75  # 3.75 mm modules for version 2
    COL_X = 131.0
    COL_W = 210.0 - 131.0 - 7.0
    NAME_TOP, NAME_H = 20.0, 24.0

    @classmethod
    def static(cls, f: Face, campaign: Campaign) -> None:
        color, accent = _band(
            f,
            campaign,
            width=cls.W,
            height=15.5,
            stripe=1.0,
            logo=(12.0, 7.75, 5.9),
            text=(21.0, cls.W - 6),
            authority=(5.6, 6.5, 5),
            title=(12.4, 16, 9),
        )
        f.corners(cls.ZONE_X, cls.ZONE_TOP, cls.ZONE, color)
        x, w = cls.COL_X, cls.COL_W
        f.text(x, 62.5, "MÃ ĐỊA ĐIỂM", BOLD, 6.5, LIGHT)
        url = qr.short_url(campaign.base_url)
        hint = wrap(
            f"Không quét được? Vào {url}, nhập mã ở trên.", REGULAR, 6.8, w * mm
        )
        for j, line in enumerate(hint[:2]):
            f.text(x, 75.5 + j * 3.1, line, REGULAR, 6.8, GREY)
        for i, step in enumerate(STEPS):
            top = 84.0 + i * 9.6
            f.step_disc(i + 1, x + 2.6, top + 2.2, 2.6, color)
            lines = wrap(nfc(step), REGULAR, 7, (w - 7) * mm)[:2]
            for j, line in enumerate(lines):
                first = top + 3.2 - 1.6 * (len(lines) - 1)
                f.text(x + 7.0, first + j * 3.2, line, REGULAR, 7, INK)
        for j, line in enumerate(
            wrap(_domain_warning(campaign), BOLD, 6.6, w * mm)[:3]
        ):
            f.text(x, 116.5 + j * 3.0, line, BOLD, 6.6, accent)
        for j, line in enumerate(wrap(TENT_HINT, REGULAR, 6, w * mm)[:2]):
            f.text(x, 129.5 + j * 2.7, line, REGULAR, 6, LIGHT)

    @classmethod
    def variable(cls, f: Face, board: Board, campaign: Campaign, code: Code) -> None:
        color, _accent = _colors(campaign)
        x, w = cls.COL_X, cls.COL_W
        name = fit(
            nfc(board.name),
            BOLD,
            width=w * mm,
            height=cls.NAME_H * mm,
            max_size=17,
            min_size=8.5,
            max_lines=3,
        )
        f.boxed(name, x, cls.NAME_TOP, w, cls.NAME_H, BOLD, "left")
        org_fit = fit_line(
            nfc(board.organisation), BOLD, width=w * mm, max_size=8.5, min_size=6
        )
        f.text(x, 49.0, org_fit.lines[0], BOLD, org_fit.size, color)
        addr = fit_line(
            nfc(board.address), REGULAR, width=w * mm, max_size=7.5, min_size=5.5
        )
        f.text(x, 53.4, addr.lines[0], REGULAR, addr.size, GREY)
        f.text(x, 70.0, grouped(board.token), BOLD, 17, INK)
        f.qr(code, cls.ZONE_X, cls.ZONE_TOP, cls.ZONE)
        f.text(x, 138.0, f"Tạo ngày {board.generated:%d/%m/%Y}", REGULAR, 6, LIGHT)


def name_boxes(size: str) -> list[tuple[float, float, float, float]]:
    """Where the venue name may be drawn on a page of ``size``: one box per face as
    (x0, y0, x1, y1) in PDF points, origin bottom left. The layout and its tests
    share these numbers."""
    if size == "a5":
        f = TentFace
        x0, x1 = f.COL_X * mm, (f.COL_X + f.COL_W) * mm
        y0, y1 = (f.H - f.NAME_TOP - f.NAME_H) * mm, (f.H - f.NAME_TOP) * mm
        w, h = f.W * mm, 2 * f.H * mm
        # The upper face is the lower one turned 180 degrees about the sheet centre.
        return [(x0, y0, x1, y1), (w - x1, h - y1, w - x0, h - y0)]
    p, k = Portrait, (A3_SCALE if size == "a3" else 1.0)
    x0, x1 = p.MARGIN * mm * k, (p.W - p.MARGIN) * mm * k
    y1 = (p.H - p.NAME_TOP) * mm * k
    return [(x0, y1 - p.NAME_H * mm * k, x1, y1)]
