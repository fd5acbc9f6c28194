"""Registration, decision and reminder forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from .. import geo
from ..accounts.forms import ORG_KIND_LABELS
from ..accounts.services import MIN_PASSWORD
from ..forms import CleanForm, choices, int_or_none


class RegisterForm(CleanForm):
    name = StringField(_l("Tên tổ chức"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(
        _l("Loại hình"),
        choices=choices((k.value, v) for k, v in ORG_KIND_LABELS.items()),
    )
    parent_id = SelectField(_l("Đơn vị cấp trên (nơi duyệt hồ sơ)"), coerce=int_or_none)
    ward_code = SelectField(_l("Phường / xã"), coerce=int_or_none)
    address = StringField(_l("Địa chỉ"), validators=[DataRequired(), Length(max=255)])
    tax_code = StringField(
        _l("Mã số thuế (không bắt buộc)"), validators=[Optional(), Length(max=20)]
    )
    contact_name = StringField(
        _l("Người liên hệ"), validators=[DataRequired(), Length(max=120)]
    )
    contact_phone = StringField(
        _l("Điện thoại liên hệ"), validators=[DataRequired(), Length(max=30)]
    )
    email = EmailField(
        _l("Email (dùng để đăng nhập)"),
        validators=[
            DataRequired(),
            Length(max=255),
            Email(check_deliverability=False),
        ],
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD, max=256)],
    )
    password2 = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Hai mật khẩu không giống nhau.")),
        ],
    )

    def set_choices(self, units: list[tuple[int, str]], province_code: int) -> None:
        self.parent_id.choices = choices([(None, _l("— chọn —")), *units])
        self.ward_code.choices = choices(
            [(None, _l("— chọn —"))]
            + [(int(w.code), w.name) for w in geo.wards(province_code)]
        )


class RefuseForm(CleanForm):
    reason = TextAreaField(
        _l("Lý do từ chối"), validators=[DataRequired(), Length(max=1000)]
    )


class ParentForm(CleanForm):
    # Any organisation the user oversees may be named (the view checks the scope;
    # the list offers the units).
    parent_id = SelectField(
        _l("Đơn vị cấp trên"), coerce=int_or_none, validate_choice=False
    )

    def set_choices(self, units: list[tuple[int, str]], *, top_level: bool) -> None:
        first = [(None, _l("— trực thuộc tỉnh —"))] if top_level else []
        self.parent_id.choices = choices([*first, *units])


class InviteManagerForm(CleanForm):
    email = EmailField(
        _l("Email người quản lý"), validators=[DataRequired(), Length(max=255)]
    )
