"""The production server settings (gunicorn.conf.py) are what the README says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    for key in ("WORKERS", "WORKER_CLASS", "THREADS", "TIMEOUT", "ACCESS_LOG"):
        monkeypatch.delenv(f"SIGNAGE_{key}", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    scope: dict[str, Any] = {}
    exec(compile(CONF.read_text(), str(CONF), "exec"), scope)  # noqa: S102
    return scope


def test_default_is_single_threaded_workers_without_access_log(monkeypatch):
    conf = _settings(monkeypatch)
    # threads > 1 would make gunicorn run its threaded worker instead of sync.
    assert conf["worker_class"] == "sync" and conf["threads"] == 1
    assert conf["workers"] == 4
    assert conf["accesslog"] is None  # no unpurged log of visits
    assert conf["timeout"] >= 300  # long exports are not killed


def test_threaded_server_on_request(monkeypatch):
    conf = _settings(monkeypatch, SIGNAGE_WORKER_CLASS="gthread")
    assert conf["worker_class"] == "gthread" and conf["threads"] == 4
    conf = _settings(monkeypatch, SIGNAGE_WORKER_CLASS="gthread", SIGNAGE_THREADS="2")
    assert conf["threads"] == 2
    assert _settings(monkeypatch, SIGNAGE_ACCESS_LOG="-")["accesslog"] == "-"


def test_a_missing_data_key_stops_the_server_before_any_worker(monkeypatch):
    for key, value in {
        "SIGNAGE_ENV": "production",
        "SIGNAGE_SECRET_KEY": "k" * 48,
        "SIGNAGE_PUBLIC_BASE_URL": "https://qr.example.vn",
        "SIGNAGE_SMTP_URL": "smtp://127.0.0.1:25",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SIGNAGE_DATA_KEY", raising=False)
    conf = _settings(monkeypatch)
    with pytest.raises(SystemExit) as stopped:
        conf["on_starting"](None)
    message = str(stopped.value)
    assert "\n" not in message and "SIGNAGE_DATA_KEY" in message
