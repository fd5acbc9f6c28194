"""Print-ready QR boards as PDF (reportlab): A4, A3 and an A5 table tent.

A renderer in the project's sense: it takes plain dataclasses and writes bytes, and
knows nothing of Flask or the database. What a board shows is in boards.py, where
things go on the page in layout.py.

Everything that is the same on every board (header band, logo, title, frame corners,
steps, the domain warning, the placement hint) is drawn once per document as a form
XObject and placed on each page with ``Do``; a page then only carries the venue's own
text and its QR path, which keeps a 10,000-board batch fast and small.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .. import fonts, qr
from . import layout, pdfjoin
from .boards import Board, Campaign, Code
from .layout import BOLD, REGULAR, name_boxes, nfc

__all__ = [
    "BOLD",
    "REGULAR",
    "SIZES",
    "Board",
    "BoardWriter",
    "Campaign",
    "NoBoards",
    "name_boxes",
    "nfc",
    "register_fonts",
    "render",
    "render_one",
]

SIZES = {
    "a4": "A4 (21 × 29,7 cm)",
    "a3": "A3 (29,7 × 42 cm)",
    "a5": "A5 để bàn (gấp đôi tờ A4)",
}


class NoBoards(ValueError):
    """A document needs at least one page."""


def register_fonts() -> None:
    """Register the bundled Noto Sans once per process (reportlab's registry is
    global); each document embeds only the glyphs it uses (subset)."""
    # reportlab wraps every compressed stream in ASCII85, a 7-bit transport encoding
    # from the PostScript era: 25 % more bytes and, in its pure-Python form, a third
    # of the time spent per board. Binary streams are standard PDF. The switch is
    # process-wide in reportlab (rl_config); nothing here wants ASCII85.
    rl_config.useA85 = 0
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR not in registered:
        pdfmetrics.registerFont(TTFont(REGULAR, str(fonts.REGULAR)))
    if BOLD not in registered:
        pdfmetrics.registerFont(TTFont(BOLD, str(fonts.BOLD)))


_PAGE_MM = {"a4": layout.A4_MM, "a3": layout.A3_MM, "a5": layout.A4_MM}
_FORM = "board"
# Error correction and smallest version per size, measured on simulated phone photos
# of a posted A4 board (tests/posters/test_decoders.py: 100 dpi frames, tilt, blur,
# noise). Level Q: with a sticker over 10 % of the symbol away from the finder
# patterns Q read 39 of 40 photos and M about a third; with the sticker in the centre
# Q 8 of 12, M none. Version 8 at least on the posted sizes: a sticker anywhere,
# finders included (see qr.BOARD_VERSION). The tent stands on a table, read from a
# chair, not taped over: it keeps the smallest version, so the biggest modules its
# small face allows, and prints Q as well (no photo case where M did better).
SYMBOLS: dict[str, tuple[str, int | None]] = {
    "a4": ("q", qr.BOARD_VERSION),
    "a3": ("q", qr.BOARD_VERSION),
    "a5": ("q", None),
}
BLEED_MM = 3.0
SLUG_MM = 10.0  # room outside the bleed for crop marks
MARK_MM = 6.0


class BoardWriter:
    """Writes boards of one size into one PDF, one page per board, then the
    installer's instruction page.

    Pages are rendered in chunks of ``chunk`` pages, each a small reportlab document
    (which holds its pages in memory until saved) appended to ``out`` as soon as it
    is full (see pdfjoin): memory stays flat however many boards there are. In each
    chunk the constant artwork is a form XObject placed on every page. :meth:`close`
    finishes the file. ``compress=False`` leaves the content streams readable.

    ``print_shop=True`` makes the print-shop variant: CMYK colours with 100 % K text
    and code, 3 mm bleed on the full-bleed band, crop marks in a slug around the
    trim, and TrimBox / BleedBox set so imposition software finds the page.
    """

    CHUNK = 500

    def __init__(
        self,
        out: BinaryIO,
        size: str,
        campaign: Campaign,
        *,
        compress: bool = True,
        title: str = "",
        chunk: int = CHUNK,
        print_shop: bool = False,
        instructions: bool = True,
    ) -> None:
        if size not in SIZES:
            raise ValueError(f"unknown board size {size!r}")
        register_fonts()
        self.size, self.campaign, self.compress = size, campaign, compress
        self.title = nfc(title or campaign.title)
        self.chunk = max(1, chunk)
        self.pages = 0
        self.joiner = pdfjoin.Joiner(out)
        self.buf: io.BytesIO | None = None
        self.c: Canvas | None = None
        self.print_shop, self.instructions = print_shop, instructions
        self.pal = layout.Palette.of(campaign, print_shop)
        self.offset = (BLEED_MM + SLUG_MM) if print_shop else 0.0
        self.error, self.min_version = SYMBOLS[size]
        self.generated = ""

    def _open_chunk(self) -> Canvas:
        w, h = _PAGE_MM[self.size]
        self.buf = io.BytesIO()
        o = self.offset
        # The initial font would otherwise be Helvetica: a font the PDF names but does
        # not embed.
        c = Canvas(
            self.buf,
            pagesize=((w + 2 * o) * mm, (h + 2 * o) * mm),
            pageCompression=int(self.compress),
            initialFontName=REGULAR,
        )
        self._define_form(c)
        self.c = c
        return c

    def _flush_chunk(self) -> None:
        if self.c is not None and self.buf is not None:
            self.c.save()
            self.joiner.add(self.buf.getvalue())
        self.c, self.buf = None, None

    def _define_form(self, c: Canvas) -> None:
        campaign, pal = self.campaign, self.pal
        w, h = _PAGE_MM[self.size]
        b = BLEED_MM
        c.beginForm(_FORM, -b * mm, -b * mm, (w + b) * mm, (h + b) * mm)
        if self.size == "a5":
            tw, th = layout.TentFace.W, layout.TentFace.H
            layout.TentFace.static(layout.Face(c, tw, th, pal), campaign)
            c.saveState()
            c.translate(tw * mm, 2 * th * mm)
            c.rotate(180)
            layout.TentFace.static(layout.Face(c, tw, th, pal), campaign)
            c.restoreState()
            # The fold: a dashed line across the two header bands, which meet there.
            c.setStrokeColor(pal.paper)
            c.setLineWidth(0.6)
            c.setDash(3, 2)
            c.line(0, th * mm, tw * mm, th * mm)
        else:
            layout.Portrait(self._spec()).static(layout.Face(c, w, h, pal), campaign)
        c.endForm()

    def _spec(self) -> layout.PortraitSpec:
        return layout.A3 if self.size == "a3" else layout.A4

    def _begin_page(self, c: Canvas) -> None:
        if not self.print_shop:
            return
        w, h = _PAGE_MM[self.size]
        o, b = self.offset, BLEED_MM
        c.setTrimBox((o * mm, o * mm, (o + w) * mm, (o + h) * mm))
        c.setBleedBox(((o - b) * mm, (o - b) * mm, (o + w + b) * mm, (o + h + b) * mm))
        self._crop_marks(c, w, h)
        c.translate(o * mm, o * mm)

    def _crop_marks(self, c: Canvas, w: float, h: float) -> None:
        """Hairlines in line with the trim edges, outside the bleed (registration
        is all four plates; 100 % K is what shops ask of a single-colour mark)."""
        o, gap = self.offset, BLEED_MM + 1
        c.saveState()
        c.setStrokeColor(self.pal.ink)
        c.setLineWidth(0.25)
        for x in (o, o + w):
            for y0, y1 in (
                (o - gap - MARK_MM, o - gap),
                (o + h + gap, o + h + gap + MARK_MM),
            ):
                c.line(x * mm, y0 * mm, x * mm, y1 * mm)
        for y in (o, o + h):
            for x0, x1 in (
                (o - gap - MARK_MM, o - gap),
                (o + w + gap, o + w + gap + MARK_MM),
            ):
                c.line(x0 * mm, y * mm, x1 * mm, y * mm)
        c.restoreState()

    def add(self, board: Board) -> None:
        c = self.c or self._open_chunk()
        campaign, pal = self.campaign, self.pal
        self.generated = self.generated or f"{board.generated:%d/%m/%Y}"
        code = Code.of(
            qr.payload(campaign.base_url, board.token), self.error, self.min_version
        )
        c.saveState()
        self._begin_page(c)
        if self.size == "a5":
            tw, th = layout.TentFace.W, layout.TentFace.H
            c.doForm(_FORM)
            layout.TentFace.variable(layout.Face(c, tw, th, pal), board, campaign, code)
            # The upper face is turned 180 degrees so it reads upright once folded.
            c.saveState()
            c.translate(tw * mm, 2 * th * mm)
            c.rotate(180)
            layout.TentFace.variable(layout.Face(c, tw, th, pal), board, campaign, code)
            c.restoreState()
        else:
            w, h = _PAGE_MM[self.size]
            c.doForm(_FORM)
            layout.Portrait(self._spec()).variable(
                layout.Face(c, w, h, pal), board, campaign, code
            )
        c.restoreState()
        c.showPage()
        self.pages += 1
        if self.pages % self.chunk == 0:
            self._flush_chunk()

    def _instruction_page(self) -> None:
        c = self.c or self._open_chunk()
        c.saveState()
        self._begin_page(c)
        w, h = _PAGE_MM[self.size]
        layout.Instructions.draw(
            layout.Face(c, w, h, self.pal), self.campaign, self.pages, self.generated
        )
        c.restoreState()
        c.showPage()

    def close(self) -> None:
        """Finish the file. Raises ValueError when no board was added (a PDF needs at
        least one page)."""
        if self.pages == 0:
            self._flush_chunk()
            raise NoBoards("no boards to render")
        if self.instructions:
            self._instruction_page()
        self._flush_chunk()
        c = self.campaign
        self.joiner.close(
            title=self.title, author=nfc(c.authority), subject=nfc(c.title)
        )


def render(
    boards: Iterable[Board],
    size: str,
    campaign: Campaign,
    out: BinaryIO,
    *,
    compress: bool = True,
    title: str = "",
    progress: Callable[[int], None] | None = None,
    chunk: int = BoardWriter.CHUNK,
    print_shop: bool = False,
    instructions: bool = True,
) -> int:
    """Write one page per board into ``out``; returns the number of pages.

    ``progress`` is called with the page count after each page (CLI progress bars).
    Raises ValueError for an unknown size, NoBoards when ``boards`` is empty.
    """
    writer = BoardWriter(
        out,
        size,
        campaign,
        compress=compress,
        title=title,
        chunk=chunk,
        print_shop=print_shop,
        instructions=instructions,
    )
    for board in boards:
        writer.add(board)
        if progress is not None:
            progress(writer.pages)
    writer.close()
    return writer.pages


def render_one(
    board: Board,
    size: str,
    campaign: Campaign,
    *,
    compress: bool = True,
    print_shop: bool = False,
    instructions: bool = True,
) -> bytes:
    """One venue's board (page 1) and, unless ``instructions=False``, the
    installer's instruction page (page 2)."""
    out = io.BytesIO()
    title = f"{nfc(campaign.title)} – {nfc(board.name)}"
    render(
        [board],
        size,
        campaign,
        out,
        compress=compress,
        title=title,
        print_shop=print_shop,
        instructions=instructions,
    )
    return out.getvalue()
