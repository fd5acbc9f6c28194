"""Forms: the check-in form (a plain dataclass), the confirmation page's (CSRF through
Flask-WTF) and the portal log's.

The check-in form is not WTForms: it is rendered and posted hundreds of times a second
at peak, and binding its WTForms fields cost more than the database work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import zip_longest

from flask_babel import gettext as _
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..errors import Invalid
from ..extensions import this_request
from ..forms import CleanForm
from . import people
from .models import FEEDBACK_MAX
from .people import N_
from .services import Visitor

CATEGORY_LABELS = {
    "hygiene": N_("Vệ sinh, an toàn"),
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


# The check-in form -------------------------------------------------------------------

# "Thêm người đi cùng": one phone checks in up to this many companions with itself.
MAX_COMPANIONS = 10


@dataclass
class Companion:
    """A companion's row of the form: a name, and a phone that defaults to the
    submitter's."""

    name: str = ""
    phone: str = ""
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Typed:
    """What the visitor typed, sent back with messages when something is wrong."""

    name: str = ""
    phone: str = ""
    consent: bool = False
    remember: bool = False
    submission_id: str = ""
    companions: list[Companion] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    form_errors: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls) -> Typed:
        f = this_request().form
        # Caps only bound the work spent on hostile input; the rules and their
        # messages are in people.clean_name / clean_phone. One row more than
        # allowed is kept, so "too many" can be said instead of dropping a person.
        rows = zip_longest(
            f.getlist("companion_name")[: MAX_COMPANIONS + 1],
            f.getlist("companion_phone")[: MAX_COMPANIONS + 1],
            fillvalue="",
        )
        return cls(
            name=f.get("name", "")[:2000],
            phone=f.get("phone", "")[:200],
            consent=bool(f.get("consent")),
            remember=bool(f.get("remember")),
            submission_id=f.get("submission_id", "")[:64],
            companions=[Companion(n[:2000], p[:200]) for n, p in rows],
        )

    def present_companions(self) -> list[Companion]:
        """The rows with anything typed in them (blank rows are not people)."""
        return [c for c in self.companions if c.name.strip() or c.phone.strip()]


def checked(typed: Typed) -> Visitor | None:
    """Normalise name and phone, putting every message under its field."""
    name = phone = ""
    try:
        name = people.clean_name(typed.name)
    except Invalid as e:
        typed.errors["name"] = e.translated()
    try:
        phone = people.clean_phone(typed.phone)
    except Invalid as e:
        typed.errors["phone"] = e.translated()
    if not typed.consent:
        # The purpose is the campaign's consent line beside the box (its settings).
        typed.errors["consent"] = _("Hãy đánh dấu đồng ý để khai báo.")
    return None if typed.errors else Visitor(name, phone)


def checked_companions(typed: Typed, submitter: Visitor | None) -> list[Visitor] | None:
    """The companions typed, normalised (a blank phone is the submitter's); None
    with a message under each row that is wrong."""
    rows = typed.present_companions()
    typed.companions = rows  # blank rows are dropped when the form comes back
    if len(rows) > MAX_COMPANIONS:
        typed.form_errors.append(
            _("Tối đa %(n)s người đi cùng trong một lần khai báo.", n=MAX_COMPANIONS)
        )
        return None
    found: list[Visitor] = []
    for row in rows:
        try:
            name = people.clean_name(row.name)
        except Invalid as e:
            row.errors["name"] = e.translated()
        phone = submitter.phone if submitter else ""
        if row.phone.strip():
            try:
                phone = people.clean_phone(row.phone)
            except Invalid as e:
                row.errors["phone"] = e.translated()
        if not row.errors:
            found.append(Visitor(name, phone))
    if any(row.errors for row in rows):
        return None
    return found
