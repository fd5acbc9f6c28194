"""Forms of the confirmation page (CSRF through Flask-WTF) and of the portal log.

The check-in form itself is a plain dataclass in views.py (the hot path).
"""

from __future__ import annotations

from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import CleanForm
from .models import FEEDBACK_MAX
from .people import N_

CATEGORY_LABELS = {
    "hygiene": N_("Vệ sinh, phòng dịch (5K)"),
    "service": N_("Phục vụ"),
    "other": N_("Khác"),
}


class FeedbackForm(CleanForm):
    category = StringField(validators=[Length(max=20)])  # checked by the service
    message = TextAreaField(validators=[Length(max=FEEDBACK_MAX * 4)])


class RevealForm(CleanForm):
    checkin_id = HiddenField(validators=[InputRequired()])
    reason = StringField(validators=[InputRequired(), Length(min=5, max=300)])


class ExportForm(CleanForm):
    """An export of personal data, like a reveal, says why (kept in the audit row)."""

    reason = StringField(validators=[InputRequired(), Length(min=5, max=300)])
