"""Forms of the screens portal (labels in Vietnamese; English via the catalogue)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import CleanForm, choices
from .screen import SIZES

WEEKDAY_LABELS = [
    _l("Thứ Hai"),
    _l("Thứ Ba"),
    _l("Thứ Tư"),
    _l("Thứ Năm"),
    _l("Thứ Sáu"),
    _l("Thứ Bảy"),
    _l("Chủ Nhật"),
]
KIND_LABELS = {
    "poster": _l("Áp phích (chữ, ảnh, mã QR)"),
    "image": _l("Ảnh"),
    "qr": _l("Mã QR lớn"),
    "video": _l("Video"),
}
SIZE_LABELS = {
    "1920x1080": _l("1920×1080 – màn hình ngang (TV sảnh)"),
    "1080x1920": _l("1080×1920 – màn hình dọc (thang máy)"),
    "1280x720": _l("1280×720 – màn hình ngang nhỏ"),
    "720x1280": _l("720×1280 – màn hình dọc nhỏ"),
}
CUSTOM = "custom"
REQUIRED = _l("Hãy nhập thông tin này.")


def _required() -> DataRequired:
    return DataRequired(message=REQUIRED)


def _max(n: int) -> Length:
    return Length(max=n, message=_l("Tối đa %(max)d ký tự."))


def size_choices() -> list[Any]:
    pairs = [(k, SIZE_LABELS[k]) for k in SIZES] + [(CUSTOM, _l("Kích thước khác…"))]
    return choices(pairs)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class LoopForm(CleanForm):
    name = StringField(_l("Tên vòng chiếu"), validators=[_required(), _max(120)])


class SlideForm(CleanForm):
    title = StringField(_l("Tiêu đề"), validators=[_max(200)])
    body = TextAreaField(_l("Nội dung"), validators=[_max(1000)])
    background = StringField(_l("Màu nền"), default="#0b5394")
    foreground = StringField(_l("Màu chữ"), default="#ffffff")
    image = FileField(_l("Ảnh (PNG, JPEG hoặc WebP, tối đa 20 MB)"))
    remove_image = BooleanField(_l("Bỏ ảnh hiện tại"))
    video = FileField(_l("Video (MP4, WebM hoặc MOV, tối đa 200 MB và 10 phút)"))
    qr_url = StringField(_l("Địa chỉ của mã QR (https://…)"), validators=[_max(500)])
    qr_venue = StringField(
        _l("…hoặc mã địa điểm (10 ký tự in trên bảng QR) để hiện mã check-in"),
        validators=[_max(20)],
    )
    qr_caption = StringField(_l("Dòng chữ dưới mã QR"), validators=[_max(200)])
    duration = DecimalField(
        _l("Thời lượng (giây)"),
        places=None,
        default=10,
        validators=[
            _required(),
            NumberRange(
                min=0.01, max=3600, message=_l("Thời lượng từ 3 giây đến 1 giờ.")
            ),
        ],
    )
    start_date = DateField(_l("Từ ngày"), validators=[Optional()])
    end_date = DateField(_l("Đến ngày"), validators=[Optional()])
    weekdays = MultiCheckboxField(
        _l("Các ngày trong tuần"),
        choices=choices((str(i), label) for i, label in enumerate(WEEKDAY_LABELS)),
        default=[str(i) for i in range(7)],
    )
    window_start = TimeField(_l("Chiếu từ (giờ)"), validators=[Optional()])
    window_end = TimeField(_l("đến (giờ)"), validators=[Optional()])
    enabled = BooleanField(_l("Đang bật"), default=True)


class ScreenForm(CleanForm):
    name = StringField(_l("Tên màn hình"), validators=[_required(), _max(120)])
    loop_id = SelectField(_l("Vòng chiếu của đơn vị"), coerce=str)
    # Checked by the service (a feed withdrawn meanwhile gets a clear message).
    feeds = MultiCheckboxField(
        _l("Kênh chiến dịch (của Hiệp hội)"), coerce=str, validate_choice=False
    )
    size = SelectField(_l("Kích thước màn hình"), coerce=str)
    custom_size = StringField(_l("Kích thước khác (rộng×cao, ví dụ 1366x768)"))
    # Checked against the province's wards by the view (missing = the organisation's).
    ward_code = SelectField(
        _l("Phường/xã nơi đặt màn hình"), coerce=str, validate_choice=False
    )
    tags = StringField(
        _l("Nhãn (cách nhau bằng dấu phẩy, ví dụ: sảnh, thang máy)"),
        validators=[_max(300)],
    )


class PairForm(ScreenForm):
    code = StringField(
        _l("Mã ghép nối (6 ký tự hiện trên màn hình)"),
        validators=[_required(), _max(12)],
    )


class SettingsForm(CleanForm):
    campaign_share = IntegerField(
        _l("Tỉ lệ thời lượng tối thiểu cho kênh chiến dịch (%)"),
        validators=[_required(), NumberRange(min=0, max=100)],
    )
    offline_alert_minutes = IntegerField(
        _l("Báo chủ màn hình qua e-mail khi mất kết nối quá (phút)"),
        validators=[_required(), NumberRange(min=5, max=10080)],
    )


TARGET_LABELS = {
    "all": _l("Mọi màn hình"),
    "ward": _l("Màn hình trong một phường/xã"),
    "tag": _l("Một nhóm màn hình (theo nhãn)"),
    "organisation": _l("Màn hình của một tổ chức"),
}


class OverrideForm(CleanForm):
    target = SelectField(
        _l("Gửi tới"),
        coerce=str,
        choices=choices(TARGET_LABELS.items()),
        default="all",
    )
    ward = SelectField(_l("Phường/xã"), coerce=str, validate_choice=False)
    tag = StringField(_l("Nhãn của nhóm"), validators=[_max(40)])
    organisation = SelectField(_l("Tổ chức"), coerce=str, validate_choice=False)
    title = StringField(_l("Tiêu đề"), validators=[_max(200)])
    body = TextAreaField(_l("Nội dung"), validators=[_max(1000)])
    background = StringField(_l("Màu nền"), default="#c00000")
    foreground = StringField(_l("Màu chữ"), default="#ffffff")
    qr_url = StringField(
        _l("Mã QR tới địa chỉ (không bắt buộc)"), validators=[_max(500)]
    )
    ends_at = DateTimeLocalField(
        _l("Kết thúc lúc (giờ Việt Nam)"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )
    until_cancelled = BooleanField(_l("Cho đến khi huỷ (không có giờ kết thúc)"))
