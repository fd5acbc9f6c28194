"""Periodic housekeeping, run by the job consumer's scheduler (Huey periodic tasks).

``PERIODIC`` is the one list of what runs when: add an entry to schedule more (for
example the report rollups' refresh, once it exists). Schedules are crontab fields
in UTC (Huey's default): 19:xx UTC is 02:xx in Vietnam, when the portal is quiet.
Every task is idempotent, so a run missed while no consumer was up is simply done
by the next one; cron or systemd timers calling the CLI commands are the alternative
(see README).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from .. import db, erase
from ..storage import get_storage

ORPHAN_GRACE_S = 24 * 3600
PART_GRACE_S = 6 * 3600


@dataclass(frozen=True)
class Periodic:
    name: str
    schedule: dict[str, str]  # huey.crontab(**schedule)
    fn: Callable[[Flask], Any]


def purge_checkins(app: Flask) -> int:
    """The same purge as `flask checkins purge` (short adaptive batches, the reports'
    rollups brought up to date first)."""
    from .. import timefmt
    from ..checkin.purge import purge

    cutoff = db.utcnow() - timedelta(days=int(app.config["RETENTION_DAYS"]))
    batch = int(app.config["CHECKIN_PURGE_BATCH"])
    report = purge(db.get_db(app).write, cutoff, max_batch=batch, zone=timefmt.zone())
    return report.checkins + report.feedback


def purge_cards(app: Flask) -> int:
    from ..cards import services

    cutoff = db.utcnow() - timedelta(days=int(app.config["CARDS_RETENTION_DAYS"]))
    with db.get_db(app).write() as s:
        n = services.purge(s, cutoff)
        s.commit()
    erase.scrub(db.get_db(app).engine, ("personal_cards",))
    return n


def purge_login_sessions(app: Flask) -> int:
    from ..accounts import services

    with db.get_db(app).write() as s:
        n = services.purge_expired_sessions(s)
        s.commit()
    return n


def purge_account_links(app: Flask) -> int:
    """Forget invitations and reset/e-mail links 30 days after they expired."""
    from ..accounts import links

    with db.get_db(app).write() as s:
        n = links.purge_expired(s)
        s.commit()
    return n


def purge_unverified_registrations(app: Flask) -> int:
    """Registrations whose e-mail was never verified, a week on (units/registration)."""
    from ..units import registration

    with db.get_db(app).write() as s:
        n = registration.purge_unverified(s)
        s.commit()
    return n


def purge_orphan_uploads(app: Flask) -> int:
    """Delete files in the screens' media folder that no Media row names (an upload
    whose transaction rolled back, a leftover .tmp), once a day old."""
    from ..screens.models import Media
    from ..screens.renders import media_dir

    folder = media_dir(app)
    if not folder.is_dir():
        return 0
    with db.get_db(app).read() as s:
        known = set(s.scalars(select(Media.filename)))
    limit = time.time() - ORPHAN_GRACE_S
    removed = 0
    for path in folder.iterdir():
        if not path.is_file() or path.name in known:
            continue
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def purge_job_files(app: Flask) -> int:
    """Delete expired job files (and .part files a killed writer left behind)."""
    from . import services

    with db.get_db(app).write() as s:
        keys = services.expired_files(s)
        s.commit()
    storage = get_storage(app)
    for key in keys:
        storage.delete(key)
    return len(keys) + storage.sweep("jobs", PART_GRACE_S)


JOB_ROWS_BATCH = 500


def purge_job_rows(app: Flask) -> int:
    """Delete the rows of jobs that ended more than JOB_ROWS_DAYS ago, with any file
    still stored, in short batches; then scrub (their titles name organisations
    and venues, and a row once held a search text)."""
    from . import services

    before = db.utcnow() - timedelta(days=float(app.config["JOB_ROWS_DAYS"]))
    storage = get_storage(app)
    deleted = 0
    while True:
        with db.get_db(app).write() as s:
            old = services.old_jobs(s, before, JOB_ROWS_BATCH)
            if not old:
                break
            deleted += services.delete_jobs(s, [job_id for job_id, _key in old])
            s.commit()
        for _job_id, key in old:
            if key:
                storage.delete(key)
    if deleted:
        erase.scrub(db.get_db(app).engine, ("jobs",))
    return deleted


def refresh_rollups(app: Flask) -> int:
    """Count new check-ins into the reports' rollups (signage/reports/rollups.py)."""
    from .. import timefmt
    from ..reports import rollups

    return rollups.refresh_all(db.get_db(app).write, zone=timefmt.zone())


def purge_rosters(app: Flask) -> int:
    """Staff rosters past their unit's retention, replaced uploads and app lists,
    staged uploads whose job never ran (signage/adoption/jobs.py)."""
    from ..adoption import jobs

    return jobs.purge(app)


def purge_orphan_photos(app: Flask) -> int:
    """Delete board photos no posting names any more (replaced, withdrawn, venue
    rotated, or an upload whose transaction rolled back), once a day old."""
    from ..reports import postings

    storage = get_storage(app)
    folder = storage.root / postings.PHOTO_PREFIX
    if not folder.is_dir():
        return 0
    with db.get_db(app).read() as s:
        known = postings.referenced_photo_keys(s)
    limit = time.time() - ORPHAN_GRACE_S
    removed = 0
    for path in list(folder.rglob("*.jpg")):  # listed first: deleting prunes folders
        key = path.relative_to(storage.root).as_posix()
        if key not in known and path.stat().st_mtime < limit:
            storage.delete(key)
            removed += 1
    return removed


def fill_unit_progress(app: Flask) -> int:
    """Each unit's figures for the days since the campaign start not yet written
    (yesterday, after the first run): the supervisors' progress charts."""
    from ..units.cli import fill_progress

    return fill_progress(app)


def send_due_mail(app: Flask) -> int:
    """Queue the outbox's due mails: retries after their back-off, and any first
    attempt the queue missed (signage/mail/delivery.py)."""
    from ..mail import delivery

    return delivery.sweep(app)


def purge_sent_mail(app: Flask) -> int:
    """Forget delivered mails after MAIL_KEEP_DAYS; failed ones stay listed."""
    from ..mail import delivery

    return delivery.purge(app)


def alert_offline_screens(app: Flask) -> int:
    """E-mail the owners of screens offline longer than the province's setting."""
    from ..screens import feeds, mails

    with app.app_context(), db.get_db(app).write() as s:
        minutes = feeds.settings(s).offline_alert_minutes
        n = mails.alert_offline(s, minutes)
        s.commit()
    return n


# The one list of periodic tasks: add an entry here to schedule more.
PERIODIC: list[Periodic] = [
    Periodic("reports.refresh_rollups", {"minute": "*"}, refresh_rollups),
    Periodic("checkins.purge", {"hour": "19", "minute": "15"}, purge_checkins),
    Periodic("cards.purge", {"hour": "19", "minute": "40"}, purge_cards),
    Periodic("accounts.purge_sessions", {"minute": "5"}, purge_login_sessions),
    Periodic(
        "accounts.purge_links", {"hour": "20", "minute": "40"}, purge_account_links
    ),
    Periodic(
        "units.purge_unverified",
        {"hour": "20", "minute": "45"},
        purge_unverified_registrations,
    ),
    Periodic(
        "screens.purge_orphans", {"hour": "20", "minute": "10"}, purge_orphan_uploads
    ),
    Periodic("jobs.purge_files", {"minute": "*/15"}, purge_job_files),
    Periodic("jobs.purge_rows", {"hour": "20", "minute": "50"}, purge_job_rows),
    Periodic("adoption.purge", {"hour": "20", "minute": "25"}, purge_rosters),
    Periodic(
        "reports.purge_photos", {"hour": "20", "minute": "40"}, purge_orphan_photos
    ),
    # 17:20 UTC is 00:20 in Vietnam: the day just ended, its rollups refreshed.
    Periodic("units.progress", {"hour": "17", "minute": "20"}, fill_unit_progress),
    Periodic("mail.send_due", {"minute": "*"}, send_due_mail),
    Periodic("screens.offline_alerts", {"minute": "*/5"}, alert_offline_screens),
    Periodic("mail.purge_sent", {"hour": "20", "minute": "30"}, purge_sent_mail),
]
