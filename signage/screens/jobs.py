"""The USB export (ZIP of JPEGs and an MP4) as a background job: the same
export.version_zip as the CLI."""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from ..errors import N_
from ..jobs.runner import JobContext, JobFailed, task
from . import export
from .models import Loop, LoopVersion

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
