"""The real path: a request commits, the queue carries the message, a consumer
process (`flask jobs consume`) sends it to the SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from signage.accounts.models import Role
from signage.mail.models import MailState, OutboxMail

from ..helpers import post_form

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"JOBS_IMMEDIATE": False, "JOBS_URL": f"sqlite:///{tmp_path / 'q.db'}"}


@pytest.mark.slow
def test_a_consumer_sends_what_a_request_queued(
    app, client, session, smtp_server, make_user, tmp_path
):
    user = make_user(Role.HEALTH)
    assert post_form(client, "/forgot", {"email": user.email}).status_code == 200
    # Committed and queued, not sent by the request itself.
    assert session.scalar(select(OutboxMail.state)) is MailState.QUEUED
    assert smtp_server.messages == []

    env = {**os.environ, "SIGNAGE_ENV": "testing"}
    for key in (
        "SECRET_KEY",
        "PUBLIC_BASE_URL",
        "DATABASE_URL",
        "JOBS_URL",
        "SMTP_URL",
    ):
        env[f"SIGNAGE_{key}"] = str(app.config[key])
    with (tmp_path / "consumer.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "consume"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        end = time.monotonic() + 60
        while not smtp_server.messages and time.monotonic() < end:
            time.sleep(0.1)
        assert [m["To"] for m in smtp_server.messages] == [user.email]
        assert "/reset/" in smtp_server.links_to(user.email)[0]
        while time.monotonic() < end and _state(session) is not MailState.SENT:
            time.sleep(0.1)  # the server answered; the outcome is being recorded
        assert _state(session) is MailState.SENT
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)


def _state(session: Any) -> MailState | None:
    return session.scalar(
        select(OutboxMail.state).execution_options(populate_existing=True)
    )
