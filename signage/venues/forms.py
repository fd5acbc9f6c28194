"""Venue form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import geo
from ..forms import CleanForm, choices, int_or_none
from .models import VenueCategory
from .services import NAME_MAX, STAY_MAX, STAY_MIN

CATEGORY_LABELS = {
    VenueCategory.OFFICE: _l("Cơ quan, văn phòng"),
    VenueCategory.SCHOOL: _l("Trường học"),
    VenueCategory.HEALTH: _l("Cơ sở y tế"),
    VenueCategory.MARKET: _l("Chợ, siêu thị"),
    VenueCategory.SHOP: _l("Cửa hàng"),
    VenueCategory.FOOD: _l("Nhà hàng, quán ăn, cà phê"),
    VenueCategory.HOTEL: _l("Khách sạn, lưu trú"),
    VenueCategory.FACTORY: _l("Nhà máy, xưởng"),
    VenueCategory.TRANSPORT: _l("Bến xe, nhà ga, sân bay"),
    VenueCategory.WORSHIP: _l("Cơ sở tôn giáo"),
    VenueCategory.TOURISM: _l("Di tích, điểm du lịch"),
    VenueCategory.OTHER: _l("Khác"),
}


class VenueForm(CleanForm):
    name = StringField(
        _l("Tên địa điểm"), validators=[DataRequired(), Length(max=NAME_MAX)]
    )
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=255)])
    ward_code = SelectField(_l("Phường / xã"), coerce=int_or_none)
    category = SelectField(
        _l("Loại địa điểm"),
        choices=choices((c.value, label) for c, label in CATEGORY_LABELS.items()),
        default=VenueCategory.OTHER.value,
    )
    stay_minutes = IntegerField(
        _l("Thời gian lưu lại mặc định (phút)"),
        default=60,
        validators=[DataRequired(), NumberRange(min=STAY_MIN, max=STAY_MAX)],
    )

    def set_wards(self, province_code: int) -> None:
        self.ward_code.choices = choices(
            [(None, _l("— chọn —"))]
            + [(int(w.code), w.name) for w in geo.wards(province_code)]
        )


class ImportForm(CleanForm):
    file = FileField(
        _l("Tệp CSV"),
        validators=[FileRequired(_l("Hãy chọn tệp CSV."))],
    )


class ImportConfirmForm(CleanForm):
    # The decoded file, signed and compressed; checked and parsed again on confirm.
    payload = HiddenField(validators=[DataRequired()])
