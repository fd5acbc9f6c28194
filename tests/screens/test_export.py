"""USB export: numbered baseline JPEGs at exact size, playlist, README, H.264 MP4."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from signage.accounts.models import Role
from signage.screens.export import _frame_counts, probe, slug
from tests.helpers import job_result, login, post_form

SLIDES = [
    {
        "title": "Cài đặt ứng dụng Huế-S",
        "qr_url": "https://hue-s.vn/app",
        "duration_ms": 1500,
    },
    {
        "kind": "qr",
        "qr_url": "https://hue-s.vn/5k",
        "qr_caption": "Giải chạy 5K",
        "duration_ms": 1200,
    },
    {"title": "Đường dây nóng", "body": "1022", "duration_ms": 1000},
]


def _check_zip(
    data: bytes, size: tuple[int, int], tmp_path: Path, video: bool = True
) -> None:
    z = zipfile.ZipFile(io.BytesIO(data))
    names = z.namelist()
    jpgs = [n for n in names if n.endswith(".jpg")]
    assert jpgs == [
        "001_cai-dat-ung-dung-hue-s.jpg",
        "002_giai-chay-5k.jpg",
        "003_duong-day-nong.jpg",
    ]
    for name in jpgs:
        img = Image.open(io.BytesIO(z.read(name)))
        assert img.format == "JPEG" and img.size == size and img.mode == "RGB"
        assert "progressive" not in img.info and "progression" not in img.info
        profile = ImageCms.ImageCmsProfile(io.BytesIO(img.info["icc_profile"]))
        assert "sRGB" in ImageCms.getProfileDescription(profile)
    playlist = z.read("playlist.txt").decode()
    assert playlist.splitlines()[1:] == [
        f"{jpgs[0]}\t1.5",
        f"{jpgs[1]}\t1.2",
        f"{jpgs[2]}\t1",
    ]
    assert "HƯỚNG DẪN" in z.read("README.txt").decode()
    if not video:
        assert "loop.mp4" not in names
        return
    mp4 = tmp_path / "loop.mp4"
    mp4.write_bytes(z.read("loop.mp4"))
    info = probe(mp4)
    assert abs(info["duration"] - 3.7) <= 0.2, info["raw"]
    assert (info["codec"], info["pix_fmt"], info["fps"]) == ("h264", "yuv420p", 25.0)
    assert info["profile"] in ("High", "Main")
    assert (info["width"], info["height"]) == size
    # +faststart: the moov atom comes before the media data.
    head = mp4.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and (
        head.find(b"mdat") == -1 or head.find(b"moov") < head.find(b"mdat")
    )


def test_cli_lists_loops_and_exports_a_portrait_zip(app, make_loop, tmp_path):
    loop = make_loop(SLIDES, name="Chiến dịch Huế-S")
    make_loop([{"title": "Nháp"}], publish=False, name="Nháp")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["loops", "list"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["id", "name", "version"]
    assert [str(loop.id), "Chiến dịch Huế-S", "1"] in rows

    out = tmp_path / "loop.zip"
    result = runner.invoke(
        args=["loops", "export", str(loop.id), "--size", "1080x1920", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    _check_zip(out.read_bytes(), (1080, 1920), tmp_path)


def test_cli_refuses_unpublished_loops_and_bad_sizes(app, make_loop, tmp_path):
    draft = make_loop([{"title": "Nháp"}], publish=False)
    runner = app.test_cli_runner()
    out = str(tmp_path / "x.zip")
    result = runner.invoke(args=["loops", "export", str(draft.id), "-o", out])
    assert result.exit_code != 0 and "never been published" in result.output
    result = runner.invoke(
        args=["loops", "export", str(draft.id), "--size", "big", "-o", out]
    )
    assert result.exit_code != 0 and "--size" in result.output
    assert runner.invoke(args=["loops", "export", "999", "-o", out]).exit_code != 0


def test_portal_export_without_video(client, session, make_user, make_loop, tmp_path):
    login(client, make_user(Role.EDITOR))
    loop = make_loop(SLIDES)
    url = f"/screens/loops/{loop.id}/export"
    assert "Tạo gói ZIP" in client.get(url).get_data(as_text=True)
    # Opening the page (or following a link) starts nothing: only the form's POST.
    assert client.get(url + "?size=1920x1080").status_code == 200
    resp = job_result(
        client, post_form(client, url, {"size": "custom", "custom": "1366x768"})
    )
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    data = resp.get_data()
    resp.close()
    _check_zip(data, (1366, 768), tmp_path, video=False)
    from sqlalchemy import select

    from signage.audit import AuditEvent

    event = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "screens.export")
    )
    assert event is not None and event.target == f"loop:{loop.id}"
    assert (
        post_form(client, url, {"size": "custom", "custom": "1x1"}).status_code == 422
    )
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "screens.export")
    ).all()
    assert len(events) == 1  # the GETs and the refused size exported nothing


def test_mp4_shows_each_slide_for_its_duration_even_hour_long_ones(tmp_path):
    """Slides longer than one encoded unit (10 s) are repeated units: the frames at
    each time show the right slide, and the length is exact."""
    import subprocess

    import imageio_ffmpeg

    from signage.screens.export import make_mp4
    from signage.screens.renders import cached_render
    from signage.screens.screen import SlideSpec

    colours = {"red": "#ff0000", "green": "#00ff00", "blue": "#0000ff"}
    paths = {
        name: cached_render(
            tmp_path, SlideSpec("poster", title=" ", background=c), 320, 240
        )
        for name, c in colours.items()
    }
    mp4 = tmp_path / "loop.mp4"
    mp4.write_bytes(
        make_mp4(
            [(paths["red"], 23.3), (paths["green"], 1.2), (paths["blue"], 11.0)],
            320,
            240,
        )
    )
    assert abs(probe(mp4)["duration"] - 35.5) < 0.05
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    for t, expected in (
        (1, "red"),
        (15, "red"),
        (23.1, "red"),
        (23.9, "green"),
        (25, "blue"),
        (35.3, "blue"),
    ):
        frame = tmp_path / f"{t}.png"
        subprocess.run(
            [
                exe,
                "-v",
                "error",
                "-y",
                "-ss",
                str(t),
                "-i",
                str(mp4),
                "-frames:v",
                "1",
                str(frame),
            ],
            check=True,
        )
        r, g, b = Image.open(frame).convert("RGB").getpixel((160, 120))
        got = max(("red", r), ("green", g), ("blue", b), key=lambda x: x[1])[0]
        assert got == expected, (t, (r, g, b))


def test_frame_counts_round_on_the_running_total():
    assert _frame_counts([2.5, 2.5]) == [62, 63] or _frame_counts([2.5, 2.5]) == [
        63,
        62,
    ]
    assert sum(_frame_counts([1.01] * 100)) == round(101.0 * 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đường dây nóng", "duong-day-nong"),
        ("!!!", "x"),
        ("Quét mã QR / 2026", "quet-ma-qr-2026"),
    ],
)
def test_slug(text, expected):
    assert slug(text, "x") == expected


def test_demo_loop_is_published_once(app, session):
    from sqlalchemy import func, select

    from signage.screens import demo
    from signage.screens.models import Loop

    runner = app.test_cli_runner()
    for _ in range(2):
        assert runner.invoke(args=["demo", "load"]).exit_code == 0
    assert session.scalar(select(func.count()).select_from(Loop)) == 1
    loop = session.scalar(select(Loop))
    assert loop.name == demo.LOOP_NAME and loop.version == 1 and loop.feed
    assert [s.kind.value for s in loop.slides] == ["poster", "poster", "qr"]


def test_purged_renders_come_back_on_demand(app, client, make_loop, pair_screen):
    import os

    loop = make_loop([{"title": "A"}])
    _screen, key = pair_screen(loop)
    m = client.get(
        "/play/api/manifest", headers={"Authorization": f"Bearer {key}"}
    ).get_json()
    first = client.get(m["slides"][0]["src"])
    body = first.get_data()
    first.close()
    renders = list(Path(app.instance_path, "renders").glob("*/*.jpg"))
    assert renders
    for p in renders:
        os.utime(p, (0, 0))
    result = app.test_cli_runner().invoke(
        args=["loops", "purge-renders", "--days", "1"]
    )
    assert f"removed {len(renders)}" in result.output
    again = client.get(m["slides"][0]["src"])
    assert again.status_code == 200 and again.get_data() == body
    again.close()
