"""Query forms: every query states its reason (the case or outbreak it serves)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import CleanForm
from .services import MAX_MARGIN_MINUTES

_REASON = [
    InputRequired(_l("Hãy ghi lý do tra cứu (mã ca bệnh, quyết định…).")),
    Length(min=8, max=500, message=_l("Lý do từ 8 đến 500 ký tự.")),
]
_MINUTE = "%Y-%m-%dT%H:%M"


class CaseForm(CleanForm):
    phone = StringField(
        _l("Số điện thoại của ca bệnh"),
        validators=[InputRequired(_l("Hãy nhập số điện thoại của ca bệnh."))],
    )
    start = DateField(
        _l("Từ ngày"), validators=[InputRequired(_l("Hãy chọn ngày bắt đầu."))]
    )
    end = DateField(
        _l("Đến hết ngày"), validators=[InputRequired(_l("Hãy chọn ngày kết thúc."))]
    )
    margin = IntegerField(
        _l("Nới rộng mỗi phía (phút)"),
        default=0,
        validators=[
            Optional(),
            NumberRange(0, MAX_MARGIN_MINUTES, _l("Từ 0 đến 240 phút.")),
        ],
    )
    reason = StringField(_l("Lý do tra cứu"), validators=_REASON)


class VenueForm(CleanForm):
    token = StringField(
        _l("Mã địa điểm (in dưới mã QR)"),
        validators=[InputRequired(_l("Hãy nhập mã địa điểm.")), Length(max=40)],
    )
    start = DateTimeLocalField(
        _l("Từ"),
        format=_MINUTE,
        validators=[InputRequired(_l("Hãy chọn thời điểm bắt đầu."))],
    )
    end = DateTimeLocalField(
        _l("Đến"),
        format=_MINUTE,
        validators=[InputRequired(_l("Hãy chọn thời điểm kết thúc."))],
    )
    reason = StringField(_l("Lý do tra cứu"), validators=_REASON)
