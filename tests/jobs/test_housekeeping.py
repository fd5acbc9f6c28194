"""The periodic housekeeping tasks do their work (run here through the CLI that cron
or a systemd timer would call instead of the consumer's schedule)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from sqlalchemy import func, select

from signage.accounts.models import LoginSession, Role
from signage.cards import services as cards
from signage.cards.models import PersonalCard
from signage.checkin import services as checkins
from signage.checkin.models import CheckIn
from signage.db import utcnow
from signage.screens.models import Media
from signage.screens.renders import media_dir


def _count(session, model) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _run(app, name: str) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "housekeep", name])
    assert result.exit_code == 0, result.output
    return result.output


def test_expired_login_sessions_are_purged(app, session, make_user):
    user = make_user(Role.EDITOR)
    now = utcnow()
    session.add_all(
        [
            LoginSession(
                id="old", user_id=user.id, expires_at=now - timedelta(hours=1)
            ),
            LoginSession(
                id="live", user_id=user.id, expires_at=now + timedelta(hours=1)
            ),
        ]
    )
    session.commit()
    assert "accounts.purge_sessions: 1" in _run(app, "accounts.purge_sessions")
    assert session.scalars(select(LoginSession.id)).all() == ["live"]


def test_old_checkins_and_unused_cards_are_purged(app, session, make_venue):
    venue = make_venue()
    visitor = checkins.Visitor("Nguyễn Văn A", "0901234567").check()
    for days in (40, 1):
        checkins.check_in(
            session,
            venue,
            visitor,
            submission_id=checkins.new_submission_id(),
            secret="t",
            now=utcnow() - timedelta(days=days),
        )
    card = cards.create_card(session, visitor, secret="t")
    card.last_used_at = utcnow() - timedelta(days=200)
    session.commit()
    assert "checkins.purge: 1" in _run(app, "checkins.purge")
    assert _count(session, CheckIn) == 1
    assert "cards.purge: 1" in _run(app, "cards.purge")
    assert _count(session, PersonalCard) == 0


def test_new_checkins_are_counted_into_the_report_rollups(app, session, make_venue):
    venue = make_venue()
    checkins.check_in(
        session,
        venue,
        checkins.Visitor("Nguyễn Văn A", "0901234567").check(),
        submission_id=checkins.new_submission_id(),
        secret="t",
        now=utcnow() - timedelta(minutes=5),
    )
    session.commit()
    assert "reports.refresh_rollups: 1" in _run(app, "reports.refresh_rollups")
    assert "reports.refresh_rollups: 0" in _run(app, "reports.refresh_rollups")


def test_orphaned_uploads_older_than_a_day_are_deleted(app, session):
    folder = media_dir(app)
    folder.mkdir(parents=True)
    old, fresh, kept = folder / "abc.jpg", folder / "def.jpg.tmp", folder / "k.jpg"
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    day_ago = time.time() - 2 * 86400
    for path in (old, kept):
        os.utime(path, (day_ago, day_ago))
    session.add(
        Media(sha256="0" * 64, filename="k.jpg", mime="image/jpeg", width=1, height=1,
              size_bytes=1)
    )  # fmt: skip
    session.commit()
    assert "screens.purge_orphans: 1" in _run(app, "screens.purge_orphans")
    assert not old.exists() and fresh.exists() and kept.exists()
