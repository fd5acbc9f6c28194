"""Screens portal, part 1: loops and slides (draft, order, preview, publish, export)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, db
from ..accounts.models import Role
from ..auth import roles_required
from ..errors import DomainError, Invalid
from ..extensions import this_app
from ..forms import CleanForm, apply_domain_error
from ..jobs import queue
from ..jobs.services import JobRequest, dedupe_key
from ..venues import signals as venue_signals
from ..venues.models import Venue
from ..web import body_limit
from . import feeds, services, video
from . import jobs as screen_jobs
from .forms import KIND_LABELS, SIZE_LABELS, WEEKDAY_LABELS, LoopForm, SlideForm
from .media import CleanImage, UploadPolicy, clean_image, store_image
from .models import Loop, Media, Slide, SlideKind
from .renders import cached_render, media_dir, render_dir, spec_from_snapshot
from .screen import SIZES, encode_png, parse_size
from .screen import render as screen_render

bp = Blueprint("screens", __name__, url_prefix="/screens")
# Loops belong to an organisation (or the association): its manager, screen operator
# or editor builds them; the province sees all.
OPERATORS = (Role.EDITOR, Role.ADMIN, Role.MANAGER, Role.SCREENS)


def _follow_rotated_token(app: Flask, *, session: Session, old: str, new: str) -> None:
    """Screens showing a replaced board's check-in code switch to the new one."""
    services.follow_rotated_token(session, old, new, app.config["PUBLIC_BASE_URL"])


@bp.record_once
def _subscribe(state: BlueprintSetupState) -> None:
    venue_signals.venue_token_rotated.connect(_follow_rotated_token, sender=state.app)


def _video_upload_limit() -> int | None:
    """The slide form of a signed-in user may send a video up to
    SCREENS_VIDEO_MAX_BYTES; MAX_CONTENT_LENGTH stays small for every other
    request (and for anonymous ones)."""
    if request.method != "POST" or not current_user.is_authenticated:
        return None
    args = request.view_args or {}
    if request.endpoint == "screens.slide_new":
        video_form = request.args.get("kind") == SlideKind.VIDEO.value
    else:
        slide = db.session().get(Slide, int(args.get("slide_id", 0)))
        video_form = slide is not None and slide.kind is SlideKind.VIDEO
    if not video_form:
        return None
    return int(current_app.config["SCREENS_VIDEO_MAX_BYTES"]) + 1024 * 1024


def _loop(loop_id: int) -> Loop:
    return services.get_loop(db.session(), loop_id, current_user)


def _base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"])


@bp.get("/")
@roles_required(*OPERATORS)
def loops() -> Any:
    s = db.session()
    rows = services.list_loops(s, current_user)
    return render_template(
        "screens/loops.html", loops=rows, form=LoopForm(), action_form=CleanForm()
    )


@bp.post("/loops")
@roles_required(*OPERATORS)
def loop_create() -> Any:
    form = LoopForm()
    s = db.session()
    if form.validate_on_submit():
        try:
            loop = services.create_loop(
                s,
                form.name.data or "",
                services.owner_of(current_user),
            )
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            flash(_("Đã tạo vòng chiếu %(name)s.", name=loop.name), "success")
            return redirect(url_for("screens.loop", loop_id=loop.id))
    rows = services.list_loops(s, current_user)
    return render_template(
        "screens/loops.html", loops=rows, form=form, action_form=CleanForm()
    ), 422


@bp.get("/loops/<int:loop_id>")
@roles_required(*OPERATORS)
def loop(loop_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    sizes = services.sizes_for(s, lp)
    media = media_dir(current_app)
    overflow = {
        sl.id: services.overflowing(
            services.slide_snapshot(s, sl, _base_url()), sizes, media
        )
        for sl in lp.slides
        if sl.enabled
    }
    return render_template(
        "screens/loop.html",
        overflow=overflow,
        lp=lp,
        version=services.current_version(s, lp),
        changed=services.draft_changed(s, lp, _base_url()),
        kinds=KIND_LABELS,
        action_form=CleanForm(),
        rename_form=LoopForm(obj=lp),
        sizes=SIZE_LABELS,
        association=feeds.is_association(current_user),
        carriers=feeds.carriers(s, lp.id) if lp.organisation_id is None else 0,
    )


@bp.post("/loops/<int:loop_id>/rename")
@roles_required(*OPERATORS)
def loop_rename(loop_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    form = LoopForm()
    if not form.validate_on_submit():
        flash(_("Hãy nhập tên vòng chiếu (tối đa 120 ký tự)."), "error")
        return redirect(url_for("screens.loop", loop_id=lp.id))
    services.rename_loop(s, lp, form.name.data or "")
    flash(_("Đã đổi tên."), "success")
    return redirect(url_for("screens.loop", loop_id=lp.id))


@bp.post("/loops/<int:loop_id>/publish")
@roles_required(*OPERATORS)
def loop_publish(loop_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    try:
        version = services.publish(
            s, lp, _base_url(), current_user.id, media_dir(current_app)
        )
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("screens.loop", loop_id=lp.id))
    audit.record(
        s,
        user_id=current_user.id,
        action="screens.publish",
        target=f"loop:{lp.id}",
        ip=request.remote_addr or "",
        version=version.number,
        hash=version.hash,
    )
    flash(
        _(
            "Đã phát hành phiên bản %(n)s. Các màn hình nhận trong lần hỏi tiếp theo.",
            n=version.number,
        ),
        "success",
    )
    return redirect(url_for("screens.loop", loop_id=lp.id))


@bp.post("/loops/<int:loop_id>/feed")
@roles_required(Role.EDITOR, Role.ADMIN)
def loop_feed(loop_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    if not feeds.is_association(current_user):
        abort(404)
    offered = request.form.get("offered") == "1"
    try:
        count = feeds.set_offered(s, lp, offered)
    except DomainError as e:
        flash(e.translated(), "error")
        return redirect(url_for("screens.loop", loop_id=lp.id))
    audit.record(
        s,
        user_id=current_user.id,
        action="screens.feed_offer" if offered else "screens.feed_withdraw",
        target=f"loop:{lp.id}",
        ip=request.remote_addr or "",
        screens=count,
    )
    if offered:
        flash(_("Đã cung cấp %(name)s làm kênh chiến dịch.", name=lp.name), "success")
    else:
        flash(
            _(
                "Đã ngừng cung cấp %(name)s. %(n)s màn hình đang nhận kênh này sẽ "
                "chiếu phần còn lại của lịch (hoặc trang mặc định) từ lần hỏi tiếp "
                "theo; đăng ký của họ được giữ lại.",
                name=lp.name,
                n=count,
            ),
            "success",
        )
    return redirect(url_for("screens.loop", loop_id=lp.id))


@bp.post("/loops/<int:loop_id>/order")
@roles_required(*OPERATORS)
def loop_order(loop_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    try:
        ids = [int(x) for x in request.form.get("order", "").split(",") if x.strip()]
        services.reorder(s, lp, ids)
    except (ValueError, DomainError):
        if request.accept_mimetypes.best == "application/json":
            return {"ok": False}, 409
        flash(_("Danh sách trang chiếu đã thay đổi. Hãy tải lại trang."), "error")
        return redirect(url_for("screens.loop", loop_id=lp.id))
    if request.accept_mimetypes.best == "application/json":
        return {"ok": True, "order": ids}
    return redirect(url_for("screens.loop", loop_id=lp.id))


@bp.post("/loops/<int:loop_id>/slides/<int:slide_id>/move")
@roles_required(*OPERATORS)
def slide_move(loop_id: int, slide_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    slide = services.get_slide(s, lp, slide_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    step = -1 if request.form.get("step") == "up" else 1
    services.move(s, lp, slide, step)
    return redirect(url_for("screens.loop", loop_id=lp.id) + f"#slide-{slide.id}")


@bp.post("/loops/<int:loop_id>/slides/<int:slide_id>/delete")
@roles_required(*OPERATORS)
def slide_delete(loop_id: int, slide_id: int) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    if not CleanForm().validate_on_submit():
        abort(400)
    slide = s.get(Slide, slide_id)
    if slide is not None and slide.loop_id == lp.id:
        services.delete_slide(s, slide)
    # else: already deleted (a double submit): the result is the same.
    flash(_("Đã xoá trang chiếu (màn hình vẫn chiếu bản đã phát hành)."), "success")
    return redirect(url_for("screens.loop", loop_id=lp.id))


# Slide form ----------------------------------------------------------------------


def _minutes(t: time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def _time(m: int | None) -> time | None:
    return None if m is None else time(m // 60, m % 60)


def _limits() -> tuple[int, int]:
    cfg = current_app.config
    return int(cfg["SCREENS_MIN_DURATION_MS"]), int(cfg["SCREENS_MAX_DURATION_MS"])


def _clean_upload(form: SlideForm) -> CleanImage | None:
    """The uploaded image verified and re-encoded in memory (Invalid if refused)."""
    upload = form.image.data
    if not (upload and getattr(upload, "filename", "")):
        return None
    cfg = current_app.config
    # Left open: a request that runs again (db.request_transaction) rewinds it.
    raw = upload.read(int(cfg["SCREENS_UPLOAD_MAX_BYTES"]) + 1)
    policy = UploadPolicy(
        int(cfg["SCREENS_UPLOAD_MAX_BYTES"]), int(cfg["SCREENS_UPLOAD_MAX_PIXELS"])
    )
    return clean_image(raw, policy)


def _video_upload(form: SlideForm) -> Any:
    """The uploaded video's FileStorage (Invalid when too large), or None."""
    upload = form.video.data
    if not (upload and getattr(upload, "filename", "")):
        return None
    limit = int(current_app.config["SCREENS_VIDEO_MAX_BYTES"])
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > limit:
        raise Invalid(
            "Video lớn hơn %(mb)s MB.",
            field="video",
            params={"mb": limit // (1024 * 1024)},
        )
    if size == 0:
        raise Invalid("Tệp video trống.", field="video")
    return upload


def _store_video(s: Session, upload: Any, lp: Loop) -> Media:
    """Check the video with ffmpeg, keep it beside the media folder and start its
    transcoding job (the slide publishes once the job is done)."""
    folder = media_dir(current_app) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"upload-{secrets.token_hex(8)}"
    upload.stream.seek(0)  # a request that runs again reads it from the start
    upload.save(tmp)
    try:
        info = video.inspect(tmp, int(current_app.config["SCREENS_VIDEO_MAX_SECONDS"]))
        digest = _sha256(tmp)
    except Exception:
        tmp.unlink(missing_ok=True)
        raise
    existing = s.scalar(select(Media).where(Media.sha256 == digest))
    if existing is not None and not existing.failed:
        tmp.unlink(missing_ok=True)
        return existing
    name = digest[:32] + ".mp4"
    tmp.replace(folder / name)
    media = existing or Media(sha256=digest, filename=name, mime="video/mp4")
    media.width, media.height = info.width, info.height
    media.size_bytes = (folder / name).stat().st_size
    media.duration_ms = round(info.seconds * 1000)
    media.ready, media.failed = False, ""
    media.uploaded_by = current_user.id
    if existing is None:
        s.add(media)
    s.flush()
    queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=screen_jobs.VIDEO_TRANSCODE,
            owner_id=current_user.id,
            params={"media_id": media.id},
            title=_("Chuyển mã video cho %(name)s", name=lp.name),
        ),
    )
    return media


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _slide_data(
    form: SlideForm, kind: SlideKind, slide: Slide | None
) -> services.SlideData:
    s = db.session()
    media_id = slide.media_id if slide else None
    if form.remove_image.data:
        media_id = None
    venue_id = services.qr_venue_id(s, form.qr_venue.data or "")
    days = {int(d) for d in form.weekdays.data or [] if str(d).isdigit()}
    duration = form.duration.data or Decimal(0)
    return services.SlideData(
        kind=kind,
        title=form.title.data or "",
        body=form.body.data or "",
        background=(form.background.data or "").lower(),
        foreground=(form.foreground.data or "").lower(),
        media_id=media_id,
        qr_url=form.qr_url.data or "",
        qr_venue_id=venue_id,
        qr_caption=form.qr_caption.data or "",
        duration_ms=int(round(duration * 1000)),
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        weekdays=sum(1 << d for d in days if 0 <= d < 7),
        window_start=_minutes(form.window_start.data),
        window_end=_minutes(form.window_end.data),
        enabled=bool(form.enabled.data),
        limits=_limits(),
    )


def _fill(form: SlideForm, slide: Slide) -> None:
    form.duration.data = Decimal(slide.duration_ms) / 1000
    form.weekdays.data = [str(d) for d in range(7) if slide.weekdays & (1 << d)]
    form.window_start.data = _time(slide.window_start)
    form.window_end.data = _time(slide.window_end)
    if slide.qr_venue_id:
        venue = db.session().get(Venue, slide.qr_venue_id)
        form.qr_venue.data = venue.token if venue else ""


def _slide_form(lp: Loop, slide: Slide | None, kind: SlideKind) -> Any:
    s = db.session()
    # The slide's own columns (weekdays bitmask, window minutes) differ from the
    # form's types, so the object only fills the form on GET.
    if request.method == "GET" and slide is not None:
        form = SlideForm(obj=slide)
        _fill(form, slide)
    else:
        form = SlideForm()
    if form.validate_on_submit():
        try:
            image = _clean_upload(form)
            data = _slide_data(form, kind, slide)
            upload = _video_upload(form) if kind is SlideKind.VIDEO else None
            if kind is SlideKind.VIDEO:
                data.duration_ms = slide.duration_ms if slide else data.duration_ms
            # The whole form is valid before the image touches the disk: a refused
            # form leaves no file behind.
            data.check(image_pending=image is not None or upload is not None)
            if image is not None:
                media = store_image(s, media_dir(current_app), image, current_user.id)
                data.media_id = media.id
            if upload is not None:
                media = _store_video(s, upload, lp)
                data.media_id = media.id
                # The slide lasts as long as the film.
                data.duration_ms = media.duration_ms or data.duration_ms
            if slide is None:
                slide = services.add_slide(s, lp, data)
            else:
                services.update_slide(s, slide, data)
        except DomainError as e:
            apply_domain_error(form, e.field, e.translated())
        else:
            bad = services.overflowing(
                services.slide_snapshot(s, slide, _base_url()),
                services.sizes_for(s, lp),
                media_dir(current_app),
            )
            if bad:
                flash(
                    _(
                        "Đã lưu, nhưng chữ không vừa ở %(sizes)s: sẽ bị cắt, và vòng "
                        "chiếu không phát hành được cho đến khi rút ngắn.",
                        sizes=", ".join(x.replace("x", "×") for x in bad),
                    ),
                    "error",
                )
            else:
                flash(
                    _("Đã lưu trang chiếu. Nhớ phát hành để màn hình nhận."), "success"
                )
            return redirect(
                url_for("screens.loop", loop_id=lp.id) + f"#slide-{slide.id}"
            )
    status = 422 if request.method == "POST" else 200
    shown = s.get(Media, slide.media_id) if slide and slide.media_id else None
    return render_template(
        "screens/slide_form.html",
        lp=lp,
        slide=slide,
        kind=kind,
        kinds=KIND_LABELS,
        form=form,
        media=shown,
        weekday_labels=WEEKDAY_LABELS,
        min_s=_limits()[0] / 1000,
        sizes=SIZE_LABELS,
    ), status


@bp.route("/loops/<int:loop_id>/slides/new", methods=["GET", "POST"])
@body_limit(_video_upload_limit)
@roles_required(*OPERATORS)
def slide_new(loop_id: int) -> Any:
    lp = _loop(loop_id)
    try:
        kind = SlideKind(request.args.get("kind", "poster"))
    except ValueError:
        abort(404)
    return _slide_form(lp, None, kind)


@bp.route("/loops/<int:loop_id>/slides/<int:slide_id>", methods=["GET", "POST"])
@body_limit(_video_upload_limit)
@roles_required(*OPERATORS)
def slide_edit(loop_id: int, slide_id: int) -> Any:
    lp = _loop(loop_id)
    slide = services.get_slide(db.session(), lp, slide_id)
    return _slide_form(lp, slide, slide.kind)


# Previews and export -------------------------------------------------------------


@bp.get("/loops/<int:loop_id>/slides/<int:slide_id>/preview/<size>.png")
@roles_required(*OPERATORS)
def slide_preview(loop_id: int, slide_id: int, size: str) -> Any:
    s = db.session()
    lp = _loop(loop_id)
    slide = services.get_slide(s, lp, slide_id)
    try:
        w, h = parse_size(size)
    except ValueError:
        abort(404)
    snap = services.slide_snapshot(s, slide, _base_url())
    spec = spec_from_snapshot(snap, media_dir(current_app))
    path = cached_render(render_dir(current_app), spec, w, h, "png")
    resp = send_file(path, mimetype="image/png", etag=path.stem, max_age=0)
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.post("/loops/<int:loop_id>/draft-preview")
@roles_required(*OPERATORS)
def draft_preview(loop_id: int) -> Any:
    """The slide as typed so far (not saved), at one size, for the live preview
    beside the form (a PNG data URL), and the sizes at which its text would be cut."""
    s = db.session()
    lp = _loop(loop_id)
    try:
        kind = SlideKind(request.args.get("kind", "poster"))
        w, h = parse_size(request.args.get("size", "1920x1080"))
    except ValueError:
        abort(404)
    form = SlideForm()
    if not form.validate_on_submit():
        return {"errors": form.errors}, 422
    slide_id = request.args.get("slide", "")
    slide = services.get_slide(s, lp, int(slide_id)) if slide_id.isdigit() else None
    try:
        data = _slide_data(form, kind, slide)
    except DomainError as e:
        return {"errors": {e.field or "": [e.translated()]}}, 422
    draft = Slide(id=0, **services.draft_fields(data))
    snap = services.slide_snapshot(s, draft, _base_url())
    media = media_dir(current_app)
    spec = spec_from_snapshot(snap, media)
    img = screen_render(spec, w, h)
    img.thumbnail((960, 960))
    png = base64.b64encode(encode_png(img)).decode()
    resp = jsonify(
        image=f"data:image/png;base64,{png}",
        overflow=services.overflowing(snap, services.sizes_for(s, lp), media),
    )
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/loops/<int:loop_id>/preview")
@roles_required(*OPERATORS)
def loop_preview(loop_id: int) -> Any:
    lp = _loop(loop_id)
    custom = request.args.get("custom", "").strip()
    sizes = list(SIZES)
    error = None
    if custom:
        try:
            w, h = parse_size(custom)
            sizes.append(f"{w}x{h}")
        except ValueError:
            error = _("Kích thước có dạng rộng×cao, mỗi cạnh 240–4096 điểm ảnh.")
    return render_template(
        "screens/preview.html", lp=lp, sizes=sizes, custom=custom, error=error
    ), (422 if error else 200)


@bp.route("/loops/<int:loop_id>/export", methods=["GET", "POST"])
@roles_required(*OPERATORS)
def loop_export(loop_id: int) -> Any:
    """The export form (GET); the export itself is started by the form's POST as a
    job with progress (rendering and encoding take tens of seconds), never by a
    link a crawler or a prefetch could follow."""
    s = db.session()
    lp = _loop(loop_id)
    version = services.current_version(s, lp)
    form = CleanForm()

    def page(status: int) -> Any:
        return render_template(
            "screens/export.html",
            lp=lp,
            version=version,
            sizes=SIZE_LABELS,
            form=form,
        ), status

    if request.method == "GET":
        return page(200)
    if not form.validate_on_submit():
        abort(400)
    if version is None:
        flash(_("Hãy phát hành vòng chiếu trước khi xuất."), "error")
        return page(422)
    size = request.form.get("size", "")
    try:
        w, h = parse_size(request.form.get("custom", "") if size == "custom" else size)
    except ValueError:
        flash(_("Kích thước có dạng rộng×cao, mỗi cạnh 240–4096 điểm ảnh."), "error")
        return page(422)
    video = "1" in request.form.getlist("video")
    audit.record(
        s,
        user_id=current_user.id,
        action="screens.export",
        target=f"loop:{lp.id}",
        ip=request.remote_addr or "",
        version=version.number,
        size=f"{w}x{h}",
    )
    params = {
        "loop_id": lp.id,
        "version_id": version.id,
        "width": w,
        "height": h,
        "video": video,
    }
    job = queue.submit(
        this_app(),
        s,
        JobRequest(
            kind=screen_jobs.USB_EXPORT,
            owner_id=current_user.id,
            params=params,
            title=_("Gói USB %(w)s×%(h)s – %(name)s", w=w, h=h, name=lp.name),
            dedupe_key=dedupe_key(
                screen_jobs.USB_EXPORT, current_user.id, sorted(params.items())
            ),
        ),
    )
    return redirect(url_for("jobs.show", job_id=job.id))
