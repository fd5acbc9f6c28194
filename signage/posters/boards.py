"""What a board shows, as plain data: the campaign (the same on every board) and one
venue's board, plus a QR symbol ready to draw. The layout and the PDF writer both read
these; neither owns them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .. import qr


@dataclass(frozen=True)
class Campaign:
    """What is the same on every board of the campaign."""

    title: str
    base_url: str
    authority: str = ""
    color: str = "#0b5394"
    accent: str = "#b3261e"
    # The logo's PNG/JPEG bytes (or a file), drawn in a white disc; None: no logo.
    logo: bytes | Path | None = None
    app_name: str = ""  # the city app residents are asked to install (Hue-S)
    app_url: str = ""
    alternative: str = ""  # how to check in without a smartphone
    english: str = ""  # one line for visitors who read no Vietnamese
    privacy: str = ""  # purpose and retention, one or two lines

    @property
    def domain(self) -> str:
        return qr.display_domain(self.base_url)


@dataclass(frozen=True)
class Board:
    """One venue's board. Text is NFC-normalised and cleaned when drawn."""

    name: str
    organisation: str
    address: str
    token: str
    generated: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Code:
    path: str  # PDF path operators in module units (see qr.pdf_path)
    modules: int  # symbol width without the quiet zone

    @classmethod
    def of(
        cls, payload: str, error: str = qr.ERROR_LEVEL, min_version: int | None = None
    ) -> Code:
        code = qr.make(payload, error, min_version)
        return cls(qr.pdf_path(code), int(code.symbol_size(border=0)[0]))
