"""The USB ZIP/MP4 export as a job: progress per slide, and ffmpeg missing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from signage.accounts.models import Role
from signage.jobs.models import Job, JobState
from signage.screens import services
from signage.screens.models import SlideKind
from signage.storage import get_storage

from ..helpers import job_result, login, post_form
from .conftest import job_id_of, read_job


def _loop(session, app):
    loop = services.create_loop(session, "Chiến dịch Huế-S", None)
    for title in ("Cài đặt ứng dụng", "Đường dây nóng"):
        services.add_slide(
            session,
            loop,
            services.SlideData(
                kind=SlideKind.POSTER,
                title=title,
                duration_ms=1000,
                limits=(100, 10_000),
            ),
        )
    session.expire(loop, ["slides"])
    services.publish(session, loop, app.config["PUBLIC_BASE_URL"])
    session.commit()
    return loop


def test_the_usb_package_with_video_is_a_job_counting_slides_and_video(
    app, client, session, make_user
):
    loop = _loop(session, app)
    login(client, make_user(Role.EDITOR))
    url = f"/screens/loops/{loop.id}/export"
    first = post_form(client, url, {"size": "640x360", "video": "1"})
    resp = job_result(client, first)
    with zipfile.ZipFile(io.BytesIO(resp.get_data())) as z:
        names = z.namelist()
    resp.close()
    assert "loop.mp4" in names and sum(n.endswith(".jpg") for n in names) == 2
    job = read_job(session, job_id_of(first))
    assert (job.done, job.total) == (3, 3)  # two slides, then the video


def test_ffmpeg_missing_fails_in_vietnamese_and_keeps_no_file(
    app, client, session, make_user, monkeypatch, tmp_path
):
    import imageio_ffmpeg

    missing = str(tmp_path / "no-such-ffmpeg")
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", lambda: missing)
    loop = _loop(session, app)
    login(client, make_user(Role.EDITOR))
    url = f"/screens/loops/{loop.id}/export"
    first = post_form(client, url, {"size": "640x360", "video": "1"})
    data = client.get(first.headers["Location"], headers={"Accept": "application/json"})
    data = data.get_json()
    assert data["state"] == "failed" and data["download"] is None
    assert data["error"].startswith("Không tạo được video loop.mp4")
    job = session.get(Job, data["id"])
    assert job.state is JobState.FAILED and job.file_key is None
    root: Path = get_storage(app).root
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]
