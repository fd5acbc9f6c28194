"""USB export of a published loop: numbered baseline JPEGs, a playlist, a README in
Vietnamese and an H.264 ``loop.mp4`` made with imageio-ffmpeg's bundled ffmpeg.

Dumb USB players cannot evaluate schedules, so every slide of the version is included
in order; the playlist lists each slide's schedule for whoever copies the stick.
"""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from .renders import cached_render, media_dir, render_dir, spec_from_snapshot

FPS = 25
README = """HƯỚNG DẪN SỬ DỤNG VỚI ĐẦU PHÁT USB

Vòng chiếu: {name} (phiên bản {version}, mã {digest})
Kích thước: {width}×{height} điểm ảnh, {count} trang, tổng {total} giây.

1. Chép toàn bộ tệp trong thư mục này vào gốc của thẻ nhớ USB.
2. Đầu phát chiếu ảnh: chọn chế độ trình chiếu ảnh, các tệp 001_..., 002_... chạy
   theo thứ tự tên; đặt thời gian mỗi ảnh theo tệp playlist.txt (cột thứ hai, giây).
3. Đầu phát video: chọn tệp loop.mp4 và bật chế độ lặp lại (Repeat / Lặp tất cả).
   Video đã giữ mỗi trang đúng thời lượng của nó.
4. Khi hiệp hội phát hành phiên bản mới, hãy tải gói mới và chép đè lên USB.

Ảnh JPEG chuẩn baseline, hệ màu sRGB; video H.264, yuv420p, 25 khung hình/giây.
"""


def slug(text: str, fallback: str) -> str:
    """ASCII file-name part: 'Cài đặt ứng dụng' -> 'cai-dat-ung-dung'."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")[:40].strip("-")
    return t or fallback


def build_zip(
    *,
    name: str,
    version: int,
    digest: str,
    slides: list[dict[str, Any]],
    width: int,
    height: int,
    media_dir: Path,
    cache_dir: Path,
    video: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The ZIP as bytes. Raises RuntimeError when ffmpeg fails. ``progress(done,
    total)`` is called after each slide and after the video (a step each)."""
    steps = len(slides) + (1 if video else 0)
    files: list[tuple[str, Path, float]] = []
    for i, s in enumerate(slides, start=1):
        fallback = {"qr": "ma-qr", "image": "anh", "video": "video"}.get(
            s["kind"], "ap-phich"
        )
        label = s.get("title") or s.get("qr_caption") or ""
        if s.get("video"):  # the film itself, as transcoded (H.264, yuv420p)
            path, ext = media_dir / s["video"], "mp4"
        else:
            spec = spec_from_snapshot(s, media_dir)
            path, ext = cached_render(cache_dir, spec, width, height, "jpg"), "jpg"
        files.append(
            (f"{i:03d}_{slug(label, fallback)}.{ext}", path, s["duration_ms"] / 1000)
        )
        if progress is not None:
            progress(i, steps)
    buf = io.BytesIO()
    total = sum(d for _n, _p, d in files)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for fname, path, _d in files:
            z.write(path, fname, compress_type=zipfile.ZIP_STORED)
        playlist = ["# tệp\tgiây"] + [f"{f}\t{d:g}" for f, _p, d in files]
        z.writestr("playlist.txt", "\n".join(playlist) + "\n")
        # BOM and CRLF: read on Windows laptops (Notepad) as often as anywhere.
        z.writestr(
            "README.txt",
            "\ufeff"
            + README.replace("\n", "\r\n").format(
                name=name,
                version=version,
                digest=digest,
                width=width,
                height=height,
                count=len(files),
                total=f"{total:g}",
            ),
        )
        if video:
            z.writestr(
                "loop.mp4",
                make_mp4([(p, d) for _f, p, d in files], width, height),
                compress_type=zipfile.ZIP_STORED,
            )
            if progress is not None:
                progress(steps, steps)
    return buf.getvalue()


# Frames per encoded unit: x264's default keyframe interval (10 s at 25 fps). A slide
# is encoded once as one unit (plus its remainder) and the unit is repeated in the
# stream, so an hour-long slide costs what a 10-second one does, with the same
# keyframe spacing (and file size) as encoding every frame.
UNIT = 250


def version_zip(
    app: Any,
    name: str,
    version: Any,
    width: int,
    height: int,
    *,
    video: bool,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """:func:`build_zip` of a published version, with the app's media and render
    cache (one call for the portal and the CLI)."""
    return build_zip(
        name=name,
        version=version.number,
        digest=version.hash,
        slides=version.slides,
        width=width,
        height=height,
        media_dir=media_dir(app),
        cache_dir=render_dir(app),
        video=video,
        progress=progress,
    )


def _encode(
    exe: str, image: Path, frames: int, width: int, height: int, out: Path
) -> None:
    # x264 with yuv420p needs even dimensions; odd custom sizes are padded by one.
    even_w, even_h = width + width % 2, height + height % 2
    if image.suffix == ".mp4":  # a video slide: its film, fitted and padded
        vf = (
            f"fps={FPS},scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={even_w}:{even_h}:(ow-iw)/2:(oh-ih)/2,setsar=1,format=yuv420p"
        )
        source = ["-i", str(image), "-an"]
    else:
        # JPEGs decode to full-range YUV (yuvj420p); players expect limited range.
        vf = (
            f"scale={width}:{height}:in_range=pc:out_range=tv,"
            f"pad={even_w}:{even_h},setsar=1,format=yuv420p"
        )
        source = ["-loop", "1", "-framerate", str(FPS), "-i", str(image)]
    args = [
        exe, "-hide_banner", "-loglevel", "error", "-y", *source,
        "-frames:v", str(frames), "-vf", vf,
        "-c:v", "libx264", "-profile:v", "high", "-preset", "veryfast",
        "-tune", "stillimage", "-crf", "20", "-pix_fmt", "yuv420p",
        # No B-frames: each unit is a closed run of frames in presentation order,
        # so units can be joined byte for byte (Annex B) and re-timed at 25 fps.
        "-bf", "0", "-g", str(UNIT),
        "-color_primaries", "bt709", "-color_trc", "bt709", "-colorspace", "bt709",
        "-f", "h264", str(out),
    ]  # fmt: skip
    proc = subprocess.run(args, capture_output=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.decode(errors="replace")[-2000:])


def make_mp4(items: list[tuple[Path, float]], width: int, height: int) -> bytes:
    """Each image held for its duration (seconds), in order: H.264 High, yuv420p,
    25 fps, moov atom first (+faststart) so players start at once."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        stream = d / "loop.h264"
        with stream.open("wb") as joined:
            for i, ((image, _s), frames) in enumerate(
                zip(items, _frame_counts([s for _p, s in items]), strict=True)
            ):
                if image.suffix == ".mp4":  # a film is encoded whole, once
                    part = d / f"{i}-video.h264"
                    _encode(exe, image, frames, width, height, part)
                    joined.write(part.read_bytes())
                    continue
                units, rest = divmod(frames, UNIT)
                for count, n in ((units, UNIT), (1 if rest else 0, rest)):
                    if not count:
                        continue
                    part = d / f"{i}-{n}.h264"
                    _encode(exe, image, n, width, height, part)
                    data = part.read_bytes()
                    for _ in range(count):
                        joined.write(data)
        out = d / "loop.mp4"
        args = [
            exe, "-hide_banner", "-loglevel", "error", "-y",
            "-framerate", str(FPS), "-i", str(stream),
            "-c:v", "copy", "-movflags", "+faststart", str(out),
        ]  # fmt: skip
        proc = subprocess.run(args, capture_output=True, timeout=600, check=False)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode(errors="replace")[-2000:])
        return out.read_bytes()


def _frame_counts(seconds: list[float]) -> list[int]:
    """Frames per slide, rounded on the running total so the video's length is the
    loop's length to the nearest frame (not off by half a frame per slide)."""
    out, start, elapsed = [], 0, 0.0
    for s in seconds:
        elapsed += s
        end = max(start + 1, round(elapsed * FPS))
        out.append(end - start)
        start = end
    return out


def probe(path: Path) -> dict[str, Any]:
    """Duration (s), codec, profile, pixel format and size read back from ``ffmpeg -i``
    (the bundled ffmpeg has no ffprobe)."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    proc = subprocess.run(
        [exe, "-hide_banner", "-i", str(path)], capture_output=True, check=False
    )
    text = proc.stderr.decode(errors="replace")
    out: dict[str, Any] = {"raw": text}
    m = re.search(r"Duration: (\d+):(\d+):(\d+\.\d+)", text)
    if m:
        h, mi, s = m.groups()
        out["duration"] = int(h) * 3600 + int(mi) * 60 + float(s)
    m = re.search(r"Video: (\w+)(?: \((\w[^)]*)\))?", text)
    if m:
        out.update(codec=m.group(1), profile=m.group(2) or "")
    line = next((ln for ln in text.splitlines() if "Video:" in ln), "")
    m = re.search(r"\), (\w+)\(|\), (\w+),", line)
    if m:
        out["pix_fmt"] = m.group(1) or m.group(2)
    m = re.search(r", (\d{2,5})x(\d{2,5})", line)
    if m:
        out.update(width=int(m.group(1)), height=int(m.group(2)))
    m = re.search(r"(\d+(?:\.\d+)?) fps", text)
    if m:
        out["fps"] = float(m.group(1))
    return out
