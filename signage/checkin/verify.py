"""Today's verification word and colour for a venue.

A screenshot of yesterday's confirmation (or of another venue's) is not a check-in: the
confirmation page shows a word and colour derived from the venue and the local date with
an HMAC of the app secret, and the venue's staff see today's pair in the portal. It
changes at local midnight and cannot be predicted without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from ..errors import N_

# Short, everyday, unambiguous words (fruits, flowers, animals, things of Huế).
WORDS = (
    "HOA SEN",
    "HOA MAI",
    "HOA ĐÀO",
    "HOA CÚC",
    "HOA HỒNG",
    "HOA LAN",
    "HOA SỮA",
    "HOA PHƯỢNG",
    "CÂY TRE",
    "CÂY DỪA",
    "CÂY THÔNG",
    "LÁ SEN",
    "QUẢ CAM",
    "QUẢ CHUỐI",
    "QUẢ XOÀI",
    "QUẢ BƯỞI",
    "QUẢ DỨA",
    "QUẢ MÍT",
    "QUẢ NHÃN",
    "QUẢ VẢI",
    "QUẢ ỔI",
    "QUẢ MẬN",
    "QUẢ LÊ",
    "QUẢ ĐÀO",
    "CON MÈO",
    "CON CHÓ",
    "CON GÀ",
    "CON VỊT",
    "CON CÁ",
    "CON TÔM",
    "CON CUA",
    "CON NGỰA",
    "CON VOI",
    "CON HỔ",
    "CON THỎ",
    "CON RÙA",
    "CON CÒ",
    "CON CHIM",
    "CON BƯỚM",
    "CON ONG",
    "SÔNG HƯƠNG",
    "NÚI NGỰ",
    "CẦU TRÀNG TIỀN",
    "CHÙA THIÊN MỤ",
    "ĐẠI NỘI",
    "NÓN LÁ",
    "ÁO DÀI",
    "MẶT TRỜI",
    "MẶT TRĂNG",
    "NGÔI SAO",
    "ĐÁM MÂY",
    "CẦU VỒNG",
    "BIỂN XANH",
    "CON THUYỀN",
    "CÁI ĐÈN",
    "QUYỂN SÁCH",
    "CÂY BÚT",
    "CÁI TRỐNG",
    "CHIẾC LÁ",
    "BÔNG LÚA",
    "HẠT GẠO",
    "CỦ SEN",
    "BÁNH BÈO",
    "CHÈ HUẾ",
)

# (name shown to people, CSS colour): clearly distinct, all with white text at a
# contrast of at least 4.5:1, and none green: the confirmation around the tile is
# green, and a green tile on it could not be told apart. Names are translated on
# the page (N_ marks them for the catalogue).
COLOURS = (
    (N_("Đỏ"), "#c62828"),
    (N_("Xanh dương"), "#1565c0"),
    (N_("Xám đen"), "#37474f"),
    (N_("Tím"), "#6a1b9a"),
    (N_("Cam"), "#bf360c"),
    (N_("Nâu"), "#5d4037"),
    (N_("Hồng"), "#ad1457"),
    (N_("Vàng đất"), "#8a6100"),
)


@dataclass(frozen=True)
class DailyCode:
    word: str
    colour_name: str
    colour: str


def daily_code(secret: str, venue_id: int, day: date) -> DailyCode:
    """The venue's word and colour for one local calendar day (deterministic)."""
    msg = f"checkin.verify:{venue_id}:{day.isoformat()}".encode()
    digest = hmac.new(secret.encode(), msg, hashlib.sha256).digest()
    word = WORDS[int.from_bytes(digest[:4], "big") % len(WORDS)]
    name, colour = COLOURS[int.from_bytes(digest[4:8], "big") % len(COLOURS)]
    return DailyCode(word=word, colour_name=name, colour=colour)
