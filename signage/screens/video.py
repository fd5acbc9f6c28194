"""Video slides: an upload checked with the bundled ffmpeg (``ffmpeg -i``: the
imageio-ffmpeg build has no ffprobe), then transcoded as a job to what every player
decodes: H.264 High, yuv420p, even dimensions, no audio (screens play muted), the
index first (+faststart) so playback starts before the download ends.

Knows nothing of Flask or the database."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from ..errors import Invalid

MAX_BYTES = 200 * 1024 * 1024
MAX_SECONDS = 10 * 60
MAX_SIDE = 1920  # larger videos are scaled down: no screen here shows more
# Containers ffmpeg reports for MP4/MOV ("mov,mp4,m4a,3gp,3g2,mj2") and WebM.
CONTAINERS = ("mov,mp4", "matroska,webm")


@dataclass(frozen=True)
class VideoInfo:
    seconds: float
    width: int
    height: int


def inspect(path: Path, max_seconds: int = MAX_SECONDS) -> VideoInfo:
    """Read what the file really is. Raises Invalid (field "video") with a message
    for the user: not a video, corrupt, no picture, or too long."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    proc = subprocess.run(
        [exe, "-hide_banner", "-i", str(path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    text = proc.stderr.decode(errors="replace")
    header = re.search(r"Input #0, ([\w,]+), from", text)
    if header is None or not header.group(1).startswith(CONTAINERS):
        raise Invalid(
            "Tệp không phải video MP4, WebM hoặc MOV (hoặc bị hỏng).", field="video"
        )
    duration = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    line = next((ln for ln in text.splitlines() if "Video:" in ln), "")
    size = re.search(r", (\d{2,5})x(\d{2,5})", line)
    if duration is None or size is None:
        raise Invalid(
            "Không đọc được hình hoặc thời lượng của video: tệp có thể bị hỏng.",
            field="video",
        )
    h, m, s = duration.groups()
    seconds = int(h) * 3600 + int(m) * 60 + float(s)
    if seconds <= 0:
        raise Invalid("Video không có nội dung.", field="video")
    if seconds > max_seconds:
        raise Invalid(
            f"Video dài {seconds / 60:.0f} phút: tối đa {max_seconds // 60} phút. "
            "Hãy cắt ngắn rồi tải lên lại.",
            field="video",
        )
    return VideoInfo(seconds, int(size.group(1)), int(size.group(2)))


def transcode(
    src: Path,
    dst: Path,
    seconds: float,
    progress: Callable[[float], None] | None = None,
) -> None:
    """Write ``dst`` (H.264 High, yuv420p, no audio, faststart). ``progress`` gets
    the share done (0..1) as ffmpeg reports it. Raises RuntimeError on failure."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    scale = (
        f"scale='min({MAX_SIDE},iw)':'min({MAX_SIDE},ih)':"
        "force_original_aspect_ratio=decrease,"
        "scale=trunc(iw/2)*2:trunc(ih/2)*2,setsar=1,format=yuv420p"
    )
    tmp = dst.with_name(dst.name + ".part.mp4")
    args = [
        exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(src),
        "-map", "0:v:0", "-an", "-vf", scale,
        "-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast",
        "-crf", "23", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        "-progress", "pipe:1", "-nostats", str(tmp),
    ]  # fmt: skip
    with subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None  # noqa: S101 - PIPE was asked for
        for line in proc.stdout:
            if progress is not None and line.startswith("out_time_us="):
                value = line.split("=", 1)[1].strip()
                if value.isdigit():
                    progress(min(1.0, int(value) / 1e6 / max(seconds, 0.001)))
        err = proc.stderr.read() if proc.stderr else ""
        code = proc.wait(timeout=3600)
    if code != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        raise RuntimeError(err[-2000:])
    tmp.replace(dst)
