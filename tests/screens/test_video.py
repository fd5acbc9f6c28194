"""Video slides: checked with ffmpeg, transcoded by a job to H.264/yuv420p without
sound, the slide's duration taken from the file, published once ready."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import imageio_ffmpeg
import pytest
from sqlalchemy import select

from signage.accounts.models import Role
from signage.screens.export import probe
from signage.screens.models import Loop, Media, Slide, SlideKind
from tests.helpers import login, post_form


def make_video(
    path: Path, seconds: float, size: str = "320x240", rate: int = 25
) -> Path:
    """A test clip (the bundled ffmpeg's own test pattern), with a tone, yuv444p:
    everything the transcoding must change."""
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    subprocess.run(
        [
            exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
            "-f", "lavfi", "-i", "sine=frequency=440",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv444p", "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path


def stored_film(
    session, app, letter: str, write: Callable[[Path], object], duration_ms: int
) -> Media:
    """A film as the upload job leaves it: ``write(path)`` puts the file (a
    transcoded clip, or a corrupt one) in the app's media folder under a name made of
    ``letter``, and its Media row is flushed."""
    from signage.screens.renders import media_dir

    folder = media_dir(app)
    folder.mkdir(parents=True, exist_ok=True)
    name = letter * 32 + ".mp4"
    write(folder / name)
    media = Media(
        sha256=letter * 64,
        filename=name,
        mime="video/mp4",
        width=320,
        height=240,
        size_bytes=(folder / name).stat().st_size,
        duration_ms=duration_ms,
    )
    session.add(media)
    session.flush()
    return media


@pytest.fixture
def editor_loop(client, session, make_user):
    login(client, make_user(Role.EDITOR))
    post_form(client, "/screens/loops", {"name": "Video"}, "/screens/")
    return session.scalar(select(Loop))


def _upload(client, loop, data: bytes, name: str = "clip.mov"):
    url = f"/screens/loops/{loop.id}/slides/new?kind=video"
    form = {
        "title": "Giới thiệu",
        "background": "#000000",
        "duration": "10",
        "weekdays": [str(i) for i in range(7)],
        "enabled": "y",
        "video": (io.BytesIO(data), name),
    }
    return post_form(client, url, form)


def test_a_video_is_transcoded_and_its_length_becomes_the_slides(
    app, client, session, editor_loop, tmp_path
):
    clip = make_video(tmp_path / "clip.mov", 2.0)
    resp = _upload(client, editor_loop, clip.read_bytes())
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    slide = session.scalar(select(Slide))
    assert slide.kind is SlideKind.VIDEO and abs(slide.duration_ms - 2000) <= 50
    media = session.get(Media, slide.media_id)
    session.refresh(media)
    assert media.ready and not media.failed  # the job ran (tests run jobs at once)
    from signage.screens.renders import media_dir

    out = probe(media_dir(app) / media.filename)
    assert (out["codec"], out["pix_fmt"]) == ("h264", "yuv420p")
    assert "Audio:" not in out["raw"]  # screens play muted: no sound track at all
    resp = post_form(
        client,
        f"/screens/loops/{editor_loop.id}/publish",
        {},
        f"/screens/loops/{editor_loop.id}",
    )
    assert "Đã phát hành" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_corrupt_and_hour_long_videos_are_refused_with_a_message(
    client, session, editor_loop, tmp_path
):
    corrupt = _upload(client, editor_loop, b"\x00\x00\x00\x18ftypmp42" + b"x" * 5000)
    assert corrupt.status_code == 422
    assert "bị hỏng" in corrupt.get_data(as_text=True)
    page = _upload(client, editor_loop, b"<html>not a film</html>", "phim.mp4")
    assert page.status_code == 422
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    long = tmp_path / "long.mp4"
    subprocess.run(
        [
            exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "color=c=black:s=32x32:r=1",
            "-t", "3700", "-c:v", "libx264", "-preset", "ultrafast", str(long),
        ],
        check=True,
    )  # fmt: skip
    hour = _upload(client, editor_loop, long.read_bytes(), "long.mp4")
    assert hour.status_code == 422
    assert "Video dài 62 phút: tối đa 10 phút" in hour.get_data(as_text=True)
    assert session.scalar(select(Slide)) is None
    assert session.scalar(select(Media)) is None


def test_the_usb_export_carries_the_film_in_its_folder_and_in_loop_mp4(app, tmp_path):
    import zipfile

    from signage.screens import video
    from signage.screens.export import build_zip

    folder = tmp_path / "media"
    folder.mkdir()
    clip = make_video(tmp_path / "clip.mov", 2.0)
    video.transcode(clip, folder / ("b" * 32 + ".mp4"), 2.0)
    base = {"background": "#0b5394", "foreground": "#ffffff", "body": ""}
    slides = [
        {**base, "id": 1, "kind": "poster", "title": "Mở đầu", "duration_ms": 1000},
        {
            **base,
            "id": 2,
            "kind": "video",
            "title": "Phim",
            "video": "b" * 32 + ".mp4",
            "duration_ms": 2000,
        },
    ]
    data = build_zip(
        name="Có video",
        version=1,
        digest="x",
        slides=slides,
        width=640,
        height=360,
        media_dir=folder,
        cache_dir=tmp_path / "cache",
    )
    z = zipfile.ZipFile(io.BytesIO(data))
    assert {"001_mo-dau.jpg", "002_phim.mp4", "loop.mp4"} <= set(z.namelist())
    assert "002_phim.mp4\t2" in z.read("playlist.txt").decode()
    out = tmp_path / "loop.mp4"
    out.write_bytes(z.read("loop.mp4"))
    info = probe(out)
    assert abs(info["duration"] - 3.0) <= 0.1, info["raw"][-500:]
    assert (info["width"], info["height"]) == (640, 360)


def test_only_a_signed_in_video_form_may_send_a_body_over_the_limit(
    app, client, editor_loop
):
    """MAX_CONTENT_LENGTH stays the limit for every request but the video slide
    form (web.body_limit): the same body is refused with 413 from an image form
    and from someone signed out, and reaches the video form's own checks."""
    app.config["MAX_CONTENT_LENGTH"] = 4096
    body = b"\x00\x00\x00\x18ftypmp42" + b"x" * 8000
    video = _upload(client, editor_loop, body)
    assert video.status_code == 422  # read in full, then refused as a broken film
    assert "bị hỏng" in video.get_data(as_text=True)
    url = f"/screens/loops/{editor_loop.id}/slides/new?kind=image"
    image = post_form(
        client, url, {"title": "Ảnh", "image": (io.BytesIO(body), "a.jpg")}
    )
    assert image.status_code == 413
    anonymous = app.test_client().post(
        f"/screens/loops/{editor_loop.id}/slides/new?kind=video",
        data={"video": (io.BytesIO(body), "clip.mov")},
    )
    assert anonymous.status_code == 413


def test_webm_is_taken_and_a_film_over_the_size_limit_is_refused(
    app, client, session, editor_loop, tmp_path
):
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    webm = tmp_path / "clip.webm"
    subprocess.run(
        [
            exe, "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "1.5",
            "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8",
            str(webm),
        ],
        check=True,
    )  # fmt: skip
    resp = _upload(client, editor_loop, webm.read_bytes(), "clip.webm")
    assert resp.status_code == 302, resp.get_data(as_text=True)[-1500:]
    slide = session.scalar(select(Slide))
    assert abs(slide.duration_ms - 1500) <= 50
    media = session.get(Media, slide.media_id)
    session.refresh(media)
    from signage.screens.renders import media_dir

    out = probe(media_dir(app) / media.filename)
    assert media.ready and (out["codec"], out["pix_fmt"]) == ("h264", "yuv420p")

    app.config["SCREENS_VIDEO_MAX_BYTES"] = 1024 * 1024  # 200 MB in production
    big = _upload(client, editor_loop, webm.read_bytes() * 40, "big.webm")
    assert big.status_code == 422
    assert "Video lớn hơn 1 MB." in big.get_data(as_text=True)
    big.request.input_stream.close()  # the test client spooled the body to a file
    assert session.scalar(select(Media.id).where(Media.id != media.id)) is None
