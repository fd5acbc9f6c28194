"""Forms of the data-subject request queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import CleanForm


class RequestForm(CleanForm):
    phone = StringField(_l("Số điện thoại của người yêu cầu"), [InputRequired()])
    received_on = DateField(_l("Ngày nhận yêu cầu"), [InputRequired()])
    note = TextAreaField(
        _l("Ghi chú (kênh nhận, số văn bản; không ghi dữ liệu cá nhân khác)"),
        [Length(max=300)],
    )


class RefuseForm(CleanForm):
    reason = StringField(_l("Lý do từ chối"), [InputRequired(), Length(min=5, max=300)])
