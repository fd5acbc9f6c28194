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


class CleanForm(FlaskForm):
    class Meta:
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
