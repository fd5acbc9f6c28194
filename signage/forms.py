"""Form base: every text field is cleaned (NFC, no invisible characters) on input."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from .text import clean_text


def _single(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


def _multi(value: Any) -> Any:
    return clean_text(value, multiline=True) if isinstance(value, str) else value


# WTForms ships no Vietnamese catalogue: its built-in messages, in Vietnamese.
_WTFORMS_VI = {
    "This field is required.": "Trường này là bắt buộc.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "Not a valid integer value.": "Hãy nhập một số nguyên.",
    "Not a valid decimal value.": "Hãy nhập một số.",
    "Not a valid float value.": "Hãy nhập một số.",
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Invalid email address.": "Địa chỉ email không hợp lệ.",
    "Invalid input.": "Dữ liệu không hợp lệ.",
    "Field must be between %(min)d and %(max)d characters long.": (
        "Cần từ %(min)d đến %(max)d ký tự."
    ),
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Tối đa %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Tối đa %(max)d ký tự.",
    "Number must be between %(min)s and %(max)s.": "Số phải từ %(min)s đến %(max)s.",
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số tối đa là %(max)s.",
    "The CSRF token is missing.": "Thiếu mã bảo vệ biểu mẫu. Hãy tải lại trang.",
    "The CSRF token is invalid.": "Mã bảo vệ biểu mẫu không hợp lệ. Hãy tải lại trang.",
    "The CSRF token has expired.": "Biểu mẫu đã hết hạn. Hãy tải lại trang.",
}


class _Translations:
    """WTForms' messages in the request's language (Vietnamese unless English)."""

    def _vi(self) -> bool:
        from flask_babel import get_locale

        return str(get_locale() or "vi") == "vi"

    def gettext(self, string: str) -> str:
        return _WTFORMS_VI.get(string, string) if self._vi() else string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


_TRANSLATIONS = _Translations()


class CleanForm(FlaskForm):
    class Meta:
        def get_translations(self, form: Any) -> _Translations:
            return _TRANSLATIONS

        def bind_field(self, form: Any, unbound_field: Any, options: dict) -> Field:
            cls = unbound_field.field_class
            if issubclass(cls, PasswordField):
                pass  # passwords are taken exactly as typed
            elif issubclass(cls, TextAreaField):
                options["filters"] = (_multi, *options.get("filters", ()))
            elif issubclass(cls, StringField):
                options["filters"] = (_single, *options.get("filters", ()))
            return unbound_field.bind(form=form, **options)


def apply_domain_error(form: FlaskForm, field: str | None, message: str) -> None:
    """Show a service's error under its field (or as a form-level error)."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message] if target.errors else [message]
    else:
        form.form_errors.append(message)


def choices(pairs: Any) -> list[SelectChoice]:
    """Select options from (value, label) pairs; a None value becomes the empty one."""
    return [
        SelectChoice("" if value is None else str(value), label)
        for value, label in pairs
    ]


def int_or_none(value: object) -> int | None:
    """Coerce for selects of codes/ids: '' (the placeholder) and junk become None."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
