"""Roster and app-list uploads as background jobs, and the daily purge.

The uploaded file waits in the storage (``staging/adoption/``) only until its job
reads it: the job deletes it before parsing, so the app's raw numbers never outlive
the job that hashes them (a file whose job never ran is swept after STAGING_HOURS).
Rows are written in batches, each its own short transaction, into an upload nobody
reads yet; one last transaction makes it current. A file with a bad row, a
cancelled job or a crash leaves nothing counted: the batches written are deleted.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from .. import audit, db
from ..errors import N_
from ..jobs.runner import Cancelled, JobContext, JobFailed, task
from ..storage import LocalStorage, get_storage
from . import rosterfile, services, sheets
from .phones import match_key

ROSTER_IMPORT = "adoption.roster_import"
ROSTER_DELETE = "adoption.roster_delete"
APP_IMPORT = "adoption.app_import"
STAGING = "staging/adoption"
STAGING_HOURS = 6
ROSTER_CHUNK = 1000
APP_CHUNK = 5000

REJECTED = N_(
    "Danh sách có dòng lỗi nên chưa nhập dòng nào. Xem từng lỗi ở trang “Cán bộ và "
    "ứng dụng”, sửa tệp rồi tải lên lại."
)
GONE = N_("Tệp tải lên không còn trên máy chủ. Hãy tải lên lại.")
FAILED = N_("Nhập danh sách không thành công; không dòng nào được lưu.")
NO_NUMBERS = N_("Tệp không có số điện thoại nào đọc được. Kiểm tra lại tệp xuất.")


def stage(storage: LocalStorage, raw: bytes) -> str:
    """Keep an upload for its job; returns the key to pass in the job's params."""
    key = f"{STAGING}/{secrets.token_hex(16)}.bin"
    storage.put(key, raw)
    return key


def _take(ctx: JobContext) -> bytes:
    """The staged upload, deleted from the storage as it is read."""
    storage = get_storage(ctx.app)
    key = str(ctx.params["file"])
    try:
        with storage.open(key) as f:
            return f.read()
    except FileNotFoundError:
        raise JobFailed(GONE) from None
    finally:
        storage.delete(key)


def _step(ctx: JobContext, fn: Callable[[Session], Any]) -> Any:
    with db.get_db(ctx.app).write() as s:
        out = fn(s)
        s.commit()
    return out


@task(ROSTER_IMPORT)
def import_roster(ctx: JobContext) -> None:
    roster_id, org_id = int(ctx.params["roster_id"]), int(ctx.params["org_id"])
    key = match_key(str(ctx.app.config["SECRET_KEY"]))
    try:
        raw = _take(ctx)
        try:
            parsed = rosterfile.parse_roster(sheets.rows(raw), key, ctx.progress)
        except sheets.SheetError as e:
            parsed = rosterfile.RosterParse()
            parsed.error(rosterfile.RowError(0, "", e.message))
        del raw
        if not parsed.ok:
            errors = [e.as_dict() for e in parsed.errors]
            _step(
                ctx,
                lambda s: services.reject_roster(
                    s, roster_id, errors, parsed.error_count
                ),
            )
            raise JobFailed(REJECTED)
        entries = parsed.entries
        total = len(entries)
        ctx.progress(0, total)
        for start in range(0, total, ROSTER_CHUNK):
            part = entries[start : start + ROSTER_CHUNK]

            def add(s: Session, part: list[rosterfile.Entry] = part) -> None:
                services.add_entries(s, roster_id, part)

            _step(ctx, add)
            ctx.progress(min(start + ROSTER_CHUNK, total), force=True)

        def finish(s: Session) -> None:
            services.make_current(s, roster_id, total)
            audit.record(
                s,
                user_id=ctx.owner_id,
                action="roster.upload",
                target=f"organisation:{org_id}",
                count=total,
            )

        _step(ctx, finish)
    except Exception as e:
        _undo_roster(ctx, roster_id)
        if isinstance(e, Cancelled | JobFailed):
            raise
        raise JobFailed(FAILED) from e
    old = services.replaced_rosters(org_id)
    _delete_rows(ctx, services.delete_some_entries, old)
    _step(ctx, lambda s: services.drop_rosters(s, old))


@task(ROSTER_DELETE)
def delete_old_rosters(ctx: JobContext) -> None:
    """Delete the rows of a unit's retired rosters in batches (retire_rosters)."""
    org_id = int(ctx.params["org_id"])
    old = services.replaced_rosters(org_id)
    n = _delete_rows(ctx, services.delete_some_entries, old)
    _step(ctx, lambda s: services.drop_rosters(s, old))
    ctx.progress(n, n)


def _undo_roster(ctx: JobContext, roster_id: int) -> None:
    _delete_rows(ctx, services.delete_some_entries, [roster_id])
    _step(ctx, lambda s: services.reject_roster_if_importing(s, roster_id))


def _delete_rows(
    ctx: JobContext | Flask, fn: Callable[[Session, Any], int], ids: Any
) -> int:
    app = ctx.app if isinstance(ctx, JobContext) else ctx
    total = 0
    while True:
        with db.get_db(app).write() as s:
            n = fn(s, ids)
            s.commit()
        total += n
        if n == 0:
            return total


@task(APP_IMPORT)
def import_app_list(ctx: JobContext) -> None:
    list_id = int(ctx.params["list_id"])
    key = match_key(str(ctx.app.config["SECRET_KEY"]))
    try:
        raw = _take(ctx)
        try:
            parsed = rosterfile.parse_app_list(sheets.rows(raw), key, ctx.progress)
        except sheets.SheetError as e:
            raise JobFailed(e.message) from None
        del raw
        if not parsed.hashes:
            raise JobFailed(NO_NUMBERS)
        hashes = sorted(parsed.hashes)
        total = len(hashes)
        ctx.progress(0, total)
        for start in range(0, total, APP_CHUNK):
            part = hashes[start : start + APP_CHUNK]

            def add(s: Session, part: list[str] = part) -> None:
                services.add_accounts(s, list_id, part)

            _step(ctx, add)
            ctx.progress(min(start + APP_CHUNK, total), force=True)

        def finish(s: Session) -> None:
            services.make_app_list_current(
                s, list_id, total, parsed.skipped, parsed.skipped_lines
            )
            audit.record(
                s,
                user_id=ctx.owner_id,
                action="adoption.app_list_upload",
                target=f"app_list:{list_id}",
                count=total,
                skipped=parsed.skipped,
            )

        _step(ctx, finish)
    except Exception as e:
        message = e.message if isinstance(e, JobFailed) else FAILED
        _step(ctx, lambda s: services.fail_app_list(s, list_id, message))
        _delete_rows(ctx, services.delete_some_accounts, [list_id])
        if isinstance(e, Cancelled | JobFailed):
            raise
        raise JobFailed(FAILED) from e
    _delete_rows(ctx, services.delete_some_accounts, services.replaced_app_lists())


def purge(app: Flask) -> int:
    """Delete rosters past their unit's retention (and replaced or abandoned
    uploads), replaced app lists, and staged files whose job never ran. Batches of
    its own transactions; returns the roster entries deleted."""
    now = db.utcnow()
    with db.get_db(app).read() as s:
        ids = services.expired_or_replaced(s, now)
    deleted = _delete_rows(app, services.delete_some_entries, ids) if ids else 0
    if ids:
        with db.get_db(app).write() as s:
            services.drop_rosters(s, ids)
            audit.record(
                s, user_id=None, action="roster.purge", rosters=len(ids), count=deleted
            )
            s.commit()
    _delete_rows(app, services.delete_some_accounts, services.replaced_app_lists())
    _sweep_staging(get_storage(app))
    return deleted


def _sweep_staging(storage: LocalStorage) -> int:
    folder: Path = storage.root / STAGING
    if not folder.is_dir():
        return 0
    limit = time.time() - STAGING_HOURS * 3600
    n = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                n += 1
        except FileNotFoundError:
            continue
    return n
