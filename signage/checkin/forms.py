"""Forms of the public pages (CSRF through Flask-WTF) and of the portal log.

The visitor's name is deliberately not run through CleanForm's filter: that filter drops
invisible characters silently, while the rule here is to refuse them (people.py).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..forms import CleanForm
from .models import FEEDBACK_MAX

CATEGORY_LABELS = {
    "hygiene": "Vệ sinh, phòng dịch (5K)",
    "service": "Phục vụ",
    "other": "Khác",
}


class CheckInForm(FlaskForm):
    # Length caps here only bound the work done on hostile input; the real rules and
    # messages are in people.clean_name / clean_phone.
    name = StringField(validators=[Length(max=2000)])
    phone = StringField(validators=[Length(max=200)])
    consent = BooleanField()
    remember = BooleanField()
    submission_id = HiddenField(validators=[Length(max=64)])
    use_saved = HiddenField()


class FeedbackForm(CleanForm):
    category = StringField(validators=[Length(max=20)])  # checked by the service
    message = TextAreaField(validators=[Length(max=FEEDBACK_MAX * 4)])


class RevealForm(CleanForm):
    checkin_id = HiddenField(validators=[InputRequired()])
    reason = StringField(validators=[InputRequired(), Length(min=5, max=300)])
