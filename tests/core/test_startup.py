"""Start-up: development boards follow the port; production fails fast, one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from signage import create_app

ROOT = Path(__file__).resolve().parents[2]


def test_development_boards_follow_the_bound_port():
    app = create_app({"ENV": "development", "BIND": "127.0.0.1:8080"})
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:8080"


def test_production_without_a_secret_fails_with_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAGE_")}
    env.update(SIGNAGE_ENV="production", SIGNAGE_INSTANCE_PATH=str(tmp_path))
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run(
        [str(flask), "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3  # gunicorn's worker boot error: its master stops
    assert done.stderr.strip() == (
        "signage: Set SIGNAGE_SECRET_KEY to 32+ random characters."
    )
