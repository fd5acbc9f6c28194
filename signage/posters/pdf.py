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
from reportlab.lib.colors import white
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


_PAGE_MM = {"a4": layout.A4_MM, "a3": (297.0, 420.0), "a5": layout.A4_MM}
_FORM = "board"


class BoardWriter:
    """Writes boards of one size into one PDF, one page per board.

    Pages are rendered in chunks of ``chunk`` pages, each a small reportlab document
    (which holds its pages in memory until saved) appended to ``out`` as soon as it
    is full (see pdfjoin): memory stays flat however many boards there are. In each
    chunk the constant artwork is a form XObject placed on every page. :meth:`close`
    finishes the file. ``compress=False`` leaves the content streams readable.
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

    def _open_chunk(self) -> Canvas:
        w, h = _PAGE_MM[self.size]
        self.buf = io.BytesIO()
        # The initial font would otherwise be Helvetica: a font the PDF names but does
        # not embed.
        c = Canvas(
            self.buf,
            pagesize=(w * mm, h * mm),
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
        campaign = self.campaign
        c.beginForm(_FORM, 0, 0, layout.A4_MM[0] * mm, layout.A4_MM[1] * mm)
        if self.size == "a5":
            tw, th = layout.TentFace.W, layout.TentFace.H
            layout.TentFace.static(layout.Face(c, tw, th), campaign)
            c.saveState()
            c.translate(tw * mm, 2 * th * mm)
            c.rotate(180)
            layout.TentFace.static(layout.Face(c, tw, th), campaign)
            c.restoreState()
            # The fold: a dashed line across the two header bands, which meet there.
            c.setStrokeColor(white)
            c.setLineWidth(0.6)
            c.setDash(3, 2)
            c.line(0, th * mm, tw * mm, th * mm)
        else:
            layout.Portrait.static(layout.Face(c, *layout.A4_MM), campaign)
        c.endForm()

    def add(self, board: Board) -> None:
        c = self.c or self._open_chunk()
        campaign = self.campaign
        code = Code.of(qr.payload(campaign.base_url, board.token))
        if self.size == "a5":
            tw, th = layout.TentFace.W, layout.TentFace.H
            c.doForm(_FORM)
            layout.TentFace.variable(layout.Face(c, tw, th), board, campaign, code)
            # The upper face is turned 180 degrees so it reads upright once folded.
            c.saveState()
            c.translate(tw * mm, 2 * th * mm)
            c.rotate(180)
            layout.TentFace.variable(layout.Face(c, tw, th), board, campaign, code)
            c.restoreState()
        else:
            c.saveState()
            if self.size == "a3":
                c.scale(layout.A3_SCALE, layout.A3_SCALE)
            c.doForm(_FORM)
            layout.Portrait.variable(
                layout.Face(c, *layout.A4_MM), board, campaign, code
            )
            c.restoreState()
        c.showPage()
        self.pages += 1
        if self.pages % self.chunk == 0:
            self._flush_chunk()

    def close(self) -> None:
        """Finish the file. Raises ValueError when no board was added (a PDF needs at
        least one page)."""
        self._flush_chunk()
        if self.pages == 0:
            raise NoBoards("no boards to render")
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
) -> int:
    """Write one page per board into ``out``; returns the number of pages.

    ``progress`` is called with the page count after each page (CLI progress bars).
    Raises ValueError for an unknown size, NoBoards when ``boards`` is empty.
    """
    writer = BoardWriter(
        out, size, campaign, compress=compress, title=title, chunk=chunk
    )
    for board in boards:
        writer.add(board)
        if progress is not None:
            progress(writer.pages)
    writer.close()
    return writer.pages


def render_one(
    board: Board, size: str, campaign: Campaign, *, compress: bool = True
) -> bytes:
    out = io.BytesIO()
    title = f"{nfc(campaign.title)} – {nfc(board.name)}"
    render([board], size, campaign, out, compress=compress, title=title)
    return out.getvalue()
