"""The USB export (ZIP of JPEGs and an MP4) as a background job: the same
export.version_zip as the CLI."""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from ..errors import N_
from ..jobs.runner import JobContext, JobFailed, task
from . import export, video
from .models import Loop, LoopVersion, Media

USB_EXPORT = "screens.usb_export"
GONE = N_("Vòng chiếu hoặc phiên bản này không còn nữa. Hãy mở lại trang xuất.")
FFMPEG = N_(
    "Không tạo được video loop.mp4: chương trình ffmpeg không chạy được trên máy "
    "chủ. Hãy xuất lại không kèm video, hoặc báo quản trị viên."
)


def zip_filename(loop_name: str, number: int, width: int, height: int) -> str:
    return f"{export.slug(loop_name, 'vong-chieu')}-v{number}-{width}x{height}.zip"


@task(USB_EXPORT)
def usb_export(ctx: JobContext) -> None:
    p = ctx.params
    w, h, video = int(p["width"]), int(p["height"]), bool(p["video"])
    with db.get_db(ctx.app).read() as s:
        version = s.scalar(
            select(LoopVersion).where(
                LoopVersion.id == int(p["version_id"]),
                LoopVersion.loop_id == int(p["loop_id"]),
            )
        )
        loop = s.get(Loop, int(p["loop_id"]))
        if version is None or loop is None:
            raise JobFailed(GONE)
        name = loop.name
    try:
        data = export.version_zip(
            ctx.app,
            name,
            version,
            w,
            h,
            video=video,
            progress=lambda done, total: ctx.progress(done, total),
        )
    except (RuntimeError, FileNotFoundError, PermissionError) as e:
        # RuntimeError: ffmpeg failed or imageio-ffmpeg found no binary; the OS
        # errors: the binary vanished or is not executable.
        raise JobFailed(FFMPEG) from e
    with ctx.output(zip_filename(name, version.number, w, h), "application/zip") as out:
        out.write(data)


VIDEO_TRANSCODE = "screens.video_transcode"
VIDEO_FAILED = N_(
    "Không chuyển mã được video: tệp có thể bị hỏng. Hãy xuất lại video (MP4 H.264) "
    "rồi tải lên lại."
)


@task(VIDEO_TRANSCODE)
def video_transcode(ctx: JobContext) -> None:
    """An uploaded video to H.264/yuv420p; the slide can be published once done."""
    from .renders import media_dir

    media_id = int(ctx.params["media_id"])
    with db.get_db(ctx.app).read() as s:
        row = s.get(Media, media_id)
        if row is None:
            raise JobFailed(GONE)
        name, seconds = row.filename, (row.duration_ms or 0) / 1000
    folder = media_dir(ctx.app)
    src = folder / "incoming" / name
    try:
        video.transcode(
            src,
            folder / name,
            seconds,
            lambda share: ctx.progress(int(share * 100), 100),
        )
    except (RuntimeError, OSError) as e:
        with db.get_db(ctx.app).write() as s:
            row = s.get(Media, media_id)
            if row is not None:
                row.failed = str(VIDEO_FAILED)
            s.commit()
        raise JobFailed(VIDEO_FAILED) from e
    with db.get_db(ctx.app).write() as s:
        row = s.get(Media, media_id)
        if row is not None:
            row.ready = True
            row.size_bytes = (folder / name).stat().st_size
        s.commit()
    src.unlink(missing_ok=True)
