"""The board's layout: where everything goes on the A4 and A3 portrait boards (each
with its own measurements), on a face of the A5 table tent, and on the installer's
instruction page.

Written in millimetres measured from the top-left corner of a face (how a designer
measures a sheet); :class:`Face` turns that into reportlab's points with the origin at
the bottom left. ``static`` draws what is the same on every board of a campaign (it
goes into the form XObject), ``variable`` what belongs to one venue.

Type sizes follow what a reader needs at the distance they read from: the call to
action >= 18 pt, the steps >= 12 pt on a wall board (>= 9 pt on the tent, read from
arm's length), and the venue name never below a cap height of 5 mm (readable at about
2 m: legibility tables give ~25 mm of letter height per 10 m); it wraps to two lines
before it shrinks.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.colors import CMYKColor, Color, HexColor, white
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
A3_MM = (297.0, 420.0)
CAP_HEIGHT = 0.714  # Noto Sans capital height, in ems
NAME_MIN_CAP_MM = 5.0  # readable at about 2 m

CTA = "QUÉT MÃ QR ĐỂ KHAI BÁO"
STEPS = (
    "Mở camera hoặc Zalo, hướng vào mã QR",
    "Chạm vào đường dẫn hiện ra",
    "Điền họ tên, số điện thoại, bấm Khai báo",
)
HINTS = (
    "Dán ở lối vào, nơi khách nhìn thấy trước khi bước vào, mép dưới của mã cao "
    "khoảng 1,2–1,5 m so với mặt sàn.",
    "In đúng tỉ lệ 100 % (không chọn “vừa trang”), trên giấy mờ; không ép plastic "
    "bóng: ánh đèn phản chiếu làm camera không đọc được mã.",
    "Không dán, viết hay đóng dấu lên mã QR và khoảng trắng quanh nó; không che "
    "bằng logo.",
    "Sau khi dán, dùng một điện thoại quét thử: trang mở ra phải là {domain} và "
    "đúng tên địa điểm.",
    "Bảng để bàn (A5): gấp đôi theo đường nét đứt, đặt trên quầy hoặc bàn.",
    "Khi bảng bị rách, bị dán đè hoặc mất: in lại từ cổng quản lý; nếu nghi có mã "
    "giả, đổi mã của địa điểm để vô hiệu hoá bảng cũ.",
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", clean_text(text))


def name_min_pt(cap_mm: float = NAME_MIN_CAP_MM) -> float:
    """The smallest size (pt) whose capitals are ``cap_mm`` tall."""
    return cap_mm / CAP_HEIGHT / 25.4 * 72


@lru_cache(maxsize=8)
def _logo_reader(logo: bytes | Path) -> ImageReader:
    """The logo decoded once per process, not once per chunk of a batch: decoding it
    again for every chunk cost time and left the allocator's memory fragmented."""
    return ImageReader(io.BytesIO(logo) if isinstance(logo, bytes) else str(logo))


def _cmyk(c: Color) -> CMYKColor:
    """A naive RGB → CMYK separation (no ICC profile: the print shop's RIP refines
    it); a neutral grey becomes pure K, so grey text prints with one plate."""
    r, g, b = c.red, c.green, c.blue
    k = 1 - max(r, g, b)
    if k >= 1:
        return CMYKColor(0, 0, 0, 1)
    if abs(r - g) < 0.02 and abs(g - b) < 0.02:
        return CMYKColor(0, 0, 0, k)
    return CMYKColor(
        (1 - r - k) / (1 - k), (1 - g - k) / (1 - k), (1 - b - k) / (1 - k), k
    )


@dataclass(frozen=True)
class Palette:
    """The colours of one document: RGB for screens and office printers, or CMYK
    with 100 % K text for a print shop."""

    ink: Color
    grey: Color
    light: Color
    color: Color
    accent: Color
    paper: Color
    qr_fill: str  # the PDF operator that sets the symbol's dark colour

    @classmethod
    def of(cls, campaign: Campaign, print_shop: bool = False) -> Palette:
        color, accent = HexColor(campaign.color), HexColor(campaign.accent)
        if not print_shop:
            return cls(
                HexColor("#111111"),
                HexColor("#3c3c3c"),
                HexColor("#6b6b6b"),
                color,
                accent,
                white,
                "0 g",
            )
        return cls(
            CMYKColor(0, 0, 0, 1),
            CMYKColor(0, 0, 0, 0.8),
            CMYKColor(0, 0, 0, 0.62),
            _cmyk(color),
            _cmyk(accent),
            CMYKColor(0, 0, 0, 0),
            "0 0 0 1 k",
        )


class Face:
    """Drawing helpers in millimetres from the face's top-left corner.

    reportlab's origin is the bottom-left corner with y upwards; the caller has already
    moved the origin to this face's bottom-left (and rotated it for the upper face of
    the tent), so only the y axis needs flipping here.
    """

    def __init__(self, c: Canvas, width: float, height: float, pal: Palette) -> None:
        self.c, self.w, self.h, self.pal = c, width, height, pal

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
        color: Color,
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
        color: Color,
        align: str = "left",
    ) -> float:
        """Draw the lines; returns the baseline after the last one (mm)."""
        step = fitted.leading / mm
        for i, line in enumerate(fitted.lines):
            self.text(
                x, first_baseline + i * step, line, font, fitted.size, color, align
            )
        return first_baseline + len(fitted.lines) * step

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
        self.lines(left, first, fitted, font, self.pal.ink, align)

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
            f"q {self.pal.qr_fill} {m:.4f} 0 0 {-m:.4f} {x0:.3f} {y0:.3f} cm "
            f"{code.path} f Q"
        )

    def logo(self, logo: bytes | Path | None, cx: float, cy: float, r: float) -> None:
        self.c.setFillColor(self.pal.paper)
        self.c.circle(cx * mm, self.y(cy), r * mm, stroke=0, fill=1)
        if logo is not None:
            s = r * 2 * 0.84
            self.c.drawImage(
                _logo_reader(logo),
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

    def step_disc(self, n: int, cx: float, cy: float, r: float) -> None:
        self.c.setFillColor(self.pal.color)
        self.c.circle(cx * mm, self.y(cy), r * mm, stroke=0, fill=1)
        self.text(cx, cy + r * 0.43, str(n), BOLD, r * 3.4, self.pal.paper, "center")

    def paragraph(
        self,
        x: float,
        top: float,
        width: float,
        text: str,
        font: str,
        size: float,
        color: Color,
        *,
        max_lines: int = 2,
        min_size: float | None = None,
        align: str = "left",
    ) -> float:
        """Wrapped text whose first line's capitals start at ``top``; shrinks (not
        below ``min_size``) to stay within ``max_lines``. Returns the top of the
        next block (mm)."""
        floor = min_size or size
        lines = wrap(text, font, size, width * mm)
        while len(lines) > max_lines and size > floor:
            size = max(floor, size - 0.5)
            lines = wrap(text, font, size, width * mm)
        lines = lines[:max_lines]
        fitted = Fitted(size, tuple(lines))
        left = x + width / 2 if align == "center" else x
        first = top + size * 0.75 / mm
        self.lines(left, first, fitted, font, color, align)
        return top + len(lines) * fitted.leading / mm


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
) -> None:
    """The campaign band across the top of a face: colour bar (running 3 mm past the
    edges, the print shop's bleed), accent stripe, logo, the authority and the
    title centred between ``text`` (left, right), each shrunk to fit one line
    (``(baseline, max size, min size)``)."""
    bleed = 3.0
    f.rect(-bleed, -bleed, width + 2 * bleed, height + bleed, f.pal.color)
    f.rect(-bleed, height, width + 2 * bleed, stripe, f.pal.accent)
    f.logo(campaign.logo, *logo)
    left, right = text
    mid = (left + right) / 2
    lines = [(title, nfc(campaign.title), BOLD)]
    if campaign.authority:
        lines.insert(0, (authority, nfc(campaign.authority).upper(), REGULAR))
    for (y, max_size, min_size), words, font in lines:
        fitted = fit_line(
            words, font, width=(right - left) * mm, max_size=max_size, min_size=min_size
        )
        f.text(mid, y, fitted.lines[0], font, fitted.size, f.pal.paper, "center")


def domain_warning(campaign: Campaign) -> str:
    return (
        f"Chỉ khai báo khi trang mở ra là {campaign.domain}. Trang khác là giả mạo "
        "(mã bị dán đè): đừng nhập thông tin, báo ngay nhân viên."
    )


def app_line(campaign: Campaign) -> str:
    if not campaign.app_name:
        return ""
    where = campaign.app_url.split("://", 1)[-1].rstrip("/")
    return f"Cài ứng dụng {campaign.app_name} của thành phố: {where}"


def alternative_line(campaign: Campaign) -> str:
    if not campaign.alternative:
        return ""
    text = nfc(campaign.alternative)
    if "điện thoại" in text.lower():
        return text
    return f"Không có điện thoại thông minh? {text}"


def type_hint(campaign: Campaign) -> str:
    return f"Không quét được? Mở {qr.short_url(campaign.base_url)} và nhập mã:"


@dataclass(frozen=True)
class PortraitSpec:
    """Measurements of a portrait wall board (mm; type in pt). A4 and A3 each have
    their own: A3 is read from farther, so its code grows more than its text."""

    W: float
    H: float
    margin: float
    band: float
    logo: tuple[float, float, float]
    authority: tuple[float, float, float]
    title: tuple[float, float, float]
    cta_base: float
    cta_pt: float
    english_base: float
    english_pt: float
    name_top: float
    name_h: float
    name_max: float
    name_min: float
    org_base: float
    org_pt: float
    addr_base: float
    addr_pt: float
    zone_top: float
    zone: float
    hint_pt: float
    token_pt: float
    step_pt: float
    step_r: float
    info_pt: float
    warn_pt: float
    privacy_pt: float

    @property
    def zone_x(self) -> float:
        return (self.W - self.zone) / 2

    @property
    def inner(self) -> float:
        return self.W - 2 * self.margin


A4 = PortraitSpec(
    W=210,
    H=297,
    margin=12,
    band=22,
    logo=(15.5, 11, 8.6),
    authority=(8.6, 10, 7),
    title=(17.4, 22, 13),
    cta_base=33.2,
    cta_pt=25,
    english_base=39.4,
    english_pt=12,
    name_top=42.5,
    name_h=27,
    name_max=36,
    name_min=name_min_pt(),
    org_base=74.6,
    org_pt=11,
    addr_base=79.2,
    addr_pt=10,
    zone_top=81.5,
    zone=148,  # 2.6 mm modules for version 8 (57 with the quiet zone)
    hint_pt=12,
    token_pt=20,
    step_pt=12,
    step_r=3.6,
    info_pt=12,
    warn_pt=11,
    privacy_pt=9,
)
A3 = PortraitSpec(
    W=297,
    H=420,
    margin=16,
    band=30,
    logo=(21, 15, 11.8),
    authority=(12, 14, 9),
    title=(24, 30, 18),
    cta_base=46,
    cta_pt=34,
    english_base=54.5,
    english_pt=16,
    name_top=58.5,
    name_h=38,
    name_max=50,
    name_min=name_min_pt(7.0),  # read from 3 m in a hall
    org_base=103.5,
    org_pt=15,
    addr_base=110,
    addr_pt=13,
    zone_top=113,
    zone=220,  # 3.9 mm modules for version 8
    hint_pt=15,
    token_pt=27,
    step_pt=16,
    step_r=5,
    info_pt=16,
    warn_pt=14,
    privacy_pt=12,
)


class Portrait:
    """A portrait wall board, A4 or A3 (:class:`PortraitSpec`).

    Top to bottom: the campaign band; the call to action (and the English line);
    the venue name, organisation and address; the code in its quiet zone inside
    viewfinder corners; the typing hint and the grouped token; three steps; the
    city app, the no-smartphone way, the fake-board warning and the privacy line.
    """

    def __init__(self, spec: PortraitSpec) -> None:
        self.s = spec

    def static(self, f: Face, campaign: Campaign) -> None:
        s, pal = self.s, f.pal
        _band(
            f,
            campaign,
            width=s.W,
            height=s.band,
            stripe=s.band * 0.06,
            logo=s.logo,
            text=(s.logo[0] + s.logo[2] + 3, s.W - 8),
            authority=s.authority,
            title=s.title,
        )
        f.text(s.W / 2, s.cta_base, CTA, BOLD, s.cta_pt, pal.color, "center")
        if campaign.english:
            eng = fit_line(
                nfc(campaign.english),
                REGULAR,
                width=s.inner * mm,
                max_size=s.english_pt,
                min_size=s.english_pt * 0.8,
            )
            f.text(
                s.W / 2,
                s.english_base,
                eng.lines[0],
                REGULAR,
                eng.size,
                pal.grey,
                "center",
            )
        f.corners(s.zone_x, s.zone_top, s.zone, pal.color)
        below = s.zone_top + s.zone
        pt = s.hint_pt / mm  # one line of hint type, in mm
        f.text(
            s.W / 2,
            below + 1.3 * pt,
            type_hint(campaign),
            REGULAR,
            s.hint_pt,
            pal.grey,
            "center",
        )
        top = below + 1.3 * pt + s.token_pt / mm * 1.45
        top = self._steps(f, top)
        self._info(f, campaign, top + 1.2 * pt)

    def _steps(self, f: Face, top: float) -> float:
        s = self.s
        col = s.inner / 3
        size = s.step_pt
        for i, step in enumerate(STEPS):
            x = s.margin + i * col
            f.step_disc(i + 1, x + s.step_r, top + s.step_r, s.step_r)
            f.paragraph(
                x + 2 * s.step_r + 2,
                top,
                col - 2 * s.step_r - 4,
                nfc(step),
                REGULAR,
                size,
                f.pal.ink,
            )
        return top + 2 * size * 1.15 / mm

    def _info(self, f: Face, campaign: Campaign, top: float) -> None:
        s, pal = self.s, f.pal
        x, w = s.margin, s.inner
        app, alt = app_line(campaign), alternative_line(campaign)
        if app:
            top = f.paragraph(
                x,
                top,
                w,
                app,
                BOLD,
                s.info_pt,
                pal.color,
                max_lines=1,
                min_size=s.info_pt * 0.8,
                align="center",
            )
        if alt:
            top = f.paragraph(
                x,
                top,
                w,
                alt,
                REGULAR,
                s.info_pt,
                pal.ink,
                max_lines=2,
                min_size=s.info_pt * 0.85,
                align="center",
            )
        top = f.paragraph(
            x,
            top + 0.6,
            w,
            domain_warning(campaign),
            BOLD,
            s.warn_pt,
            pal.accent,
            max_lines=2,
            min_size=s.warn_pt * 0.85,
            align="center",
        )
        if campaign.privacy:
            f.paragraph(
                x,
                top + 0.6,
                w,
                nfc(campaign.privacy),
                REGULAR,
                s.privacy_pt,
                pal.grey,
                max_lines=2,
                min_size=s.privacy_pt * 0.9,
                align="center",
            )

    def variable(self, f: Face, board: Board, campaign: Campaign, code: Code) -> None:
        s, pal = self.s, f.pal
        name = fit(
            nfc(board.name),
            BOLD,
            width=s.inner * mm,
            height=s.name_h * mm,
            max_size=s.name_max,
            min_size=s.name_min,
            max_lines=2,
        )
        f.boxed(name, s.margin, s.name_top, s.inner, s.name_h, BOLD, "center")
        org = fit_line(
            nfc(board.organisation),
            BOLD,
            width=s.inner * mm,
            max_size=s.org_pt,
            min_size=s.org_pt * 0.75,
        )
        f.text(s.W / 2, s.org_base, org.lines[0], BOLD, org.size, pal.color, "center")
        addr = fit_line(
            nfc(board.address),
            REGULAR,
            width=s.inner * mm,
            max_size=s.addr_pt,
            min_size=s.addr_pt * 0.75,
        )
        f.text(
            s.W / 2, s.addr_base, addr.lines[0], REGULAR, addr.size, pal.grey, "center"
        )
        f.qr(code, s.zone_x, s.zone_top, s.zone)
        below = s.zone_top + s.zone
        pt = s.hint_pt / mm
        token_base = below + 1.3 * pt + s.token_pt / mm * 1.2
        f.text(
            s.W / 2,
            token_base,
            grouped(board.token),
            BOLD,
            s.token_pt,
            pal.ink,
            "center",
        )


class TentFace:
    """One face of the A5 table tent: 210 x 148.5 mm, landscape, its top at the fold.

    The QR (with its quiet zone) takes the left square; the text the right column,
    top to bottom: call to action (and English), name, organisation and address,
    typing hint and token, steps, city app, no-smartphone way, warning. The privacy
    line runs under the code. Both ``static`` and ``variable`` place their parts
    from the same :meth:`plan`.
    """

    W, H = A4_MM[0], A4_MM[1] / 2
    ZONE_X, ZONE_TOP, ZONE = 3.0, 18.5, 120.0
    COL_X = 126.0
    COL_W = 210.0 - 126.0 - 5.0
    CTA_PT, STEP_PT, HINT_PT, TOKEN_PT = 18.0, 9.5, 8.0, 15.0
    NAME_H = 18.0
    NAME_MAX, NAME_MIN = 17.0, 12.0
    # The name box's top is fixed (tests and name_boxes read it): the English line,
    # when set, shares the room above it with the two-line call to action.
    NAME_TOP = 37.5

    @classmethod
    def cta_lines(cls) -> list[str]:
        # Broken where the sense breaks, not where the column happens to end.
        return ["QUÉT MÃ QR", "ĐỂ KHAI BÁO"]

    @classmethod
    def plan(cls, campaign: Campaign) -> dict[str, float]:
        org = cls.NAME_TOP + cls.NAME_H + 3.2
        hint_top = org + 5.6
        hint = wrap(type_hint(campaign), REGULAR, cls.HINT_PT, cls.COL_W * mm)[:2]
        token = hint_top + len(hint) * cls.HINT_PT * 1.15 / mm + 5.0
        return {
            "org": org,
            "addr": org + 3.9,
            "hint": hint_top,
            "token": token,
            "steps": token + 3.2,
        }

    @classmethod
    def static(cls, f: Face, campaign: Campaign) -> None:
        pal = f.pal
        _band(
            f,
            campaign,
            width=cls.W,
            height=15.5,
            stripe=1.0,
            logo=(11.5, 7.75, 6.2),
            text=(20.0, cls.W - 6),
            authority=(5.8, 7, 5.5),
            title=(12.6, 16, 10),
        )
        f.corners(cls.ZONE_X, cls.ZONE_TOP, cls.ZONE, pal.color)
        x, w, plan = cls.COL_X, cls.COL_W, cls.plan(campaign)
        lead = cls.CTA_PT * 1.05 / mm
        for i, line in enumerate(cls.cta_lines()):
            f.text(x, 24.5 + i * lead, line, BOLD, cls.CTA_PT, pal.color)
        if campaign.english:
            f.paragraph(
                x, 24.5 + lead + 1.6, w, nfc(campaign.english), REGULAR, 8,
                pal.grey, max_lines=1, min_size=6.5,
            )  # fmt: skip
        f.paragraph(
            x, plan["hint"], w, type_hint(campaign), REGULAR, cls.HINT_PT, pal.grey
        )
        top = plan["steps"]
        for i, step in enumerate(STEPS):
            f.step_disc(i + 1, x + 2.5, top + 2.0, 2.5)
            top = f.paragraph(
                x + 6.8, top, w - 6.8, nfc(step), REGULAR, cls.STEP_PT, pal.ink
            )
            top += 2.2
        app, alt = app_line(campaign), alternative_line(campaign)
        if app:
            top = f.paragraph(
                x, top + 1.5, w, app, BOLD, 9, pal.color, max_lines=2, min_size=8
            )
        if alt:
            top = f.paragraph(
                x, top + 1.0, w, alt, REGULAR, 9, pal.ink, max_lines=3, min_size=8
            )
        f.paragraph(
            x, top + 1.8, w, domain_warning(campaign), BOLD, 9, pal.accent,
            max_lines=3, min_size=8,
        )  # fmt: skip
        if campaign.privacy:
            f.paragraph(
                cls.ZONE_X + 2, cls.ZONE_TOP + cls.ZONE + 1.6, cls.ZONE + 1,
                nfc(campaign.privacy), REGULAR, 6.5, pal.grey, max_lines=2,
                min_size=6,
            )  # fmt: skip

    @classmethod
    def variable(cls, f: Face, board: Board, campaign: Campaign, code: Code) -> None:
        pal = f.pal
        x, w, plan = cls.COL_X, cls.COL_W, cls.plan(campaign)
        name = fit(
            nfc(board.name),
            BOLD,
            width=w * mm,
            height=cls.NAME_H * mm,
            max_size=cls.NAME_MAX,
            min_size=cls.NAME_MIN,
            max_lines=2,
        )
        f.boxed(name, x, cls.NAME_TOP, w, cls.NAME_H, BOLD, "left")
        org = fit_line(
            nfc(board.organisation), BOLD, width=w * mm, max_size=8.5, min_size=6.5
        )
        f.text(x, plan["org"], org.lines[0], BOLD, org.size, pal.color)
        addr = fit_line(
            nfc(board.address), REGULAR, width=w * mm, max_size=8, min_size=6
        )
        f.text(x, plan["addr"], addr.lines[0], REGULAR, addr.size, pal.grey)
        f.text(x, plan["token"], grouped(board.token), BOLD, cls.TOKEN_PT, pal.ink)
        f.qr(code, cls.ZONE_X, cls.ZONE_TOP, cls.ZONE)


class Instructions:
    """The installer's page, printed after the boards: where and how to post them.
    Kept off the public face, where residents would read it as a notice to them."""

    @staticmethod
    def draw(f: Face, campaign: Campaign, boards: int, generated: str) -> None:
        pal, w = f.pal, f.w
        margin = 20.0
        f.text(margin, 30, "HƯỚNG DẪN DÁN BẢNG QR", BOLD, 20, pal.color)
        f.text(
            margin,
            38,
            "Trang dành cho người dán bảng: không dán trang này.",
            REGULAR,
            11,
            pal.grey,
        )
        top = 48.0
        for i, hint in enumerate(HINTS):
            text = nfc(hint.replace("{domain}", campaign.domain))
            f.step_disc(i + 1, margin + 3.2, top + 3.0, 3.2)
            top = (
                f.paragraph(
                    margin + 10,
                    top,
                    w - 2 * margin - 10,
                    text,
                    REGULAR,
                    12,
                    pal.ink,
                    max_lines=3,
                )
                + 4
            )
        f.text(
            margin,
            top + 6,
            f"Tệp có {boards} bảng, tạo ngày {generated}.",
            REGULAR,
            10,
            pal.light,
        )


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
    p = A3 if size == "a3" else A4
    x0, x1 = p.margin * mm, (p.W - p.margin) * mm
    y1 = (p.H - p.name_top) * mm
    return [(x0, y1 - p.name_h * mm, x1, y1)]
