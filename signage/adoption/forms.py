"""Adoption forms: uploads, the retention choice."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField

from ..forms import CleanForm, choices
from .services import RETENTION_CHOICES

RETENTION_LABELS = {
    30: _l("30 ngày"),
    90: _l("3 tháng"),
    180: _l("6 tháng"),
    365: _l("1 năm"),
    730: _l("2 năm"),
}


class UploadForm(CleanForm):
    file = FileField(
        _l("Tệp CSV hoặc Excel (.xlsx)"),
        validators=[FileRequired(_l("Hãy chọn tệp CSV hoặc Excel."))],
    )


class RetentionForm(CleanForm):
    days = SelectField(
        _l("Tự động xoá danh sách sau"),
        coerce=int,
        choices=choices((d, RETENTION_LABELS[d]) for d in RETENTION_CHOICES),
    )
