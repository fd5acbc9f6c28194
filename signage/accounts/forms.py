"""Login, organisation and user forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from .. import geo
from ..forms import CleanForm, choices, int_or_none
from .models import OrgKind, Role

ORG_KIND_LABELS = {
    OrgKind.STATE_AGENCY: _l("Cơ quan nhà nước"),
    OrgKind.SCHOOL: _l("Trường học"),
    OrgKind.POLICE: _l("Công an"),
    OrgKind.ARMY: _l("Quân đội"),
    OrgKind.BUSINESS: _l("Doanh nghiệp"),
    OrgKind.OTHER: _l("Khác"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Quản trị tỉnh (Sở TT&TT)"),
    Role.MANAGER: _l("Quản lý tổ chức"),
    Role.EDITOR: _l("Biên tập màn hình (Hiệp hội DN)"),
    Role.HEALTH: _l("Cán bộ y tế"),
    Role.SCREENS: _l("Vận hành màn hình (của tổ chức)"),
    Role.DOOR: _l("Nhân viên quét thẻ tại cửa"),
}
# What a manager may invite into its own organisation (links.ORG_ROLES, in the
# order the form offers them).
TEAM_ROLES = (Role.MANAGER, Role.SCREENS, Role.DOOR)


class LoginForm(CleanForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=255)])
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(), Length(max=256)]
    )


class OrgForm(CleanForm):
    name = StringField(_l("Tên tổ chức"), validators=[DataRequired(), Length(max=255)])
    kind = SelectField(
        _l("Loại hình"),
        choices=choices((k.value, v) for k, v in ORG_KIND_LABELS.items()),
    )
    province_code = SelectField(_l("Tỉnh / thành phố"), coerce=int_or_none)
    ward_code = SelectField(_l("Phường / xã"), coerce=int_or_none, validate_choice=True)
    address = StringField(_l("Địa chỉ"), validators=[Optional(), Length(max=255)])
    contact_name = StringField(
        _l("Người liên hệ"), validators=[Optional(), Length(max=120)]
    )
    contact_phone = StringField(
        _l("Điện thoại liên hệ"), validators=[Optional(), Length(max=20)]
    )

    def set_choices(self, default_province: int) -> None:
        self.province_code.choices = choices(
            (int(p.code), p.name) for p in geo.provinces()
        )
        province = self.province_code.data or default_province
        if geo.province(province) is None:
            province = default_province
        self.ward_code.choices = choices(
            [(None, _l("— chọn —"))]
            + [(int(w.code), w.name) for w in geo.wards(province)]
        )


class UserForm(CleanForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(), Email(check_deliverability=False)]
    )
    name = StringField(_l("Họ và tên"), validators=[Optional(), Length(max=120)])
    role = SelectField(
        _l("Vai trò"),
        choices=choices((r.value, label) for r, label in ROLE_LABELS.items()),
    )
    organisation_id = SelectField(_l("Tổ chức"), coerce=int_or_none)
    password = PasswordField(
        _l("Mật khẩu ban đầu"), validators=[DataRequired(), Length(min=10, max=256)]
    )


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=255), Email(check_deliverability=False)],
    )


def _new_password() -> PasswordField:
    return PasswordField(
        _l("Mật khẩu mới"), validators=[DataRequired(), Length(min=10, max=256)]
    )


def _confirm() -> PasswordField:
    return PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("Hai mật khẩu không giống nhau.")),
        ],
    )


class InviteForm(CleanForm):
    """The admin's invitation: any role; an organisation for managers and door
    staff."""

    email = _email_field()
    role = SelectField(
        _l("Vai trò"),
        choices=choices((r.value, label) for r, label in ROLE_LABELS.items()),
    )
    organisation_id = SelectField(_l("Tổ chức"), coerce=int_or_none)


class TeamInviteForm(CleanForm):
    """A manager invites a colleague into its own organisation."""

    email = _email_field()
    role = SelectField(
        _l("Vai trò"),
        choices=choices((r.value, ROLE_LABELS[r]) for r in TEAM_ROLES),
    )


class AcceptForm(CleanForm):
    name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=120)])
    password = _new_password()
    confirm = _confirm()


class ForgotForm(CleanForm):
    email = _email_field()


class ResetForm(CleanForm):
    password = _new_password()
    confirm = _confirm()


class PasswordChangeForm(CleanForm):
    current = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(), Length(max=256)]
    )
    password = _new_password()
    confirm = _confirm()


class EmailChangeForm(CleanForm):
    email = _email_field()
    password = PasswordField(
        _l("Mật khẩu hiện tại"), validators=[DataRequired(), Length(max=256)]
    )


class ConfirmForm(CleanForm):
    """A button only (CSRF): a link scanner's GET never changes anything."""
