"""The request and response models of /api/v1: what is validated is what is documented.

Each model is used twice by ``openapi.spec``: to validate (requests) or check
(responses) at run time, and to write the component schemas of the OpenAPI document.
``MESSAGES`` holds the Vietnamese message shown for a field that fails its schema.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import N_
from ..venues import tokens
from ..venues.models import VenueCategory

# What tokens.normalise accepts, as a JSON Schema pattern: ten Crockford letters in any
# case (O, I and L read as 0, 1, 1; U never), with spaces, hyphens, dots or
# underscores anywhere between them. ASCII only, so Python, Rust and ECMA regex agree.
TOKEN_PATTERN = r"^[ ._-]*(?:[0-9A-TV-Za-tv-z][ ._-]*){10}$"
PAGE_MAX = 500
# Venue ids are 32-bit integers in the database; a larger ``after`` is a bad request,
# not an overflow in the driver.
ID_MAX = 2**31 - 1


class Error(BaseModel):
    """Every 4xx answer of the API has this body."""

    error: int = Field(description="The HTTP status, repeated", examples=[422])
    message: str = Field(
        description="For a person: Vietnamese, or English with the `lang=en` cookie",
        examples=["Dữ liệu chưa đúng."],
    )
    fields: dict[str, str] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="A message per request field that was refused (when any)",
        examples=[{"phone": "Số điện thoại không hợp lệ. Ví dụ: 0901234567."}],
    )


class VenuePageQuery(BaseModel):
    after: int = Field(0, ge=0, le=ID_MAX, description="The last id of the page before")
    limit: int = Field(100, ge=1, le=PAGE_MAX, description="Venues per page")


class Venue(BaseModel):
    token: str = Field(pattern=r"^[0-9A-HJKMNP-TV-Z]{10}$", examples=["7KQ2M9XW3D"])
    name: str
    organisation: str
    organisation_id: int
    address: str
    ward_code: int | None = Field(description="Administrative unit code (2025)")
    ward: str | None
    category: VenueCategory
    stay_minutes: int = Field(description="A visit ends by itself after this long")
    active: bool = Field(description="False: the venue takes no check-ins now")
    checkin_url: str = Field(
        json_schema_extra={"format": "uri"}, description="The URL its QR code carries"
    )


class VenuePage(BaseModel):
    items: list[Venue]
    next: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Path of the following page; absent on the last page",
        examples=["/api/v1/venues?after=100&limit=100"],
    )


class CheckinIn(BaseModel):
    venue_token: Annotated[
        str,
        Field(
            max_length=64,
            pattern=TOKEN_PATTERN,
            description="The token printed on the venue's board (any case, "
            "hyphens allowed)",
            examples=["7KQ2M9XW3D"],
        ),
    ]
    name: Annotated[
        str,
        Field(
            json_schema_extra={"format": "person-name"},
            description="Full name: 2 to 100 characters once spaces are tidied, with "
            "letters, without control or invisible characters (else 422 with "
            "`fields.name`)",
            examples=["Nguyễn Văn A"],
        ),
    ]
    phone: Annotated[
        str,
        Field(
            json_schema_extra={"format": "phone"},
            description="A Vietnamese number in any writing (0901234567, "
            "+84 90 123 4567; at most 40 characters), or a foreign one with its + "
            "code; a number the numbering plan does not have is refused (422 with "
            "`fields.phone`)",
            examples=["0901234567"],
        ),
    ]
    client_ref: Annotated[
        str,
        Field(
            min_length=1,
            max_length=40,
            description="Your own id for this check-in: a retry with the same "
            "value returns the same check-in",
            examples=["kiosk-7-000123"],
        ),
    ]

    @field_validator("venue_token")
    @classmethod
    def _canonical_token(cls, value: str) -> str:
        token = tokens.normalise(value)
        if token is None:  # the pattern above lets through only what normalises
            raise ValueError("not a venue token")
        return token


class Checkin(BaseModel):
    model_config = ConfigDict(json_schema_extra={"description": "A recorded check-in"})

    ref: str = Field(description="The check-in's public reference")
    venue_token: str
    venue: str = Field(description="The venue's name")
    name: str
    phone: str = Field(description="Masked: 090•••4567", examples=["090•••4567"])
    checked_in_at: datetime
    auto_out_at: datetime = Field(description="When the visit ends by itself")
    created: bool = Field(description="False when it was already recorded")


# The message for a request field that fails its schema (translated when shown).
MESSAGES: dict[str, str] = {
    "venue_token": N_("Mã địa điểm không hợp lệ."),
    "name": N_("Cần họ tên (chuỗi)."),
    "phone": N_("Cần số điện thoại (chuỗi)."),
    "client_ref": N_("client_ref: chuỗi từ 1 đến 40 ký tự."),
    "after": N_("after: số nguyên không âm."),
    "limit": N_("limit: số nguyên từ 1 đến 500."),
}
