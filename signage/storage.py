"""One storage interface for files that must be reachable from every app host.

Job results (batch PDFs, exports, USB packages) are written here by the consumer and
read back by whichever web host the user's download lands on. The default is a local
folder under the instance path; a deployment with several hosts points
``SIGNAGE_STORAGE_DIR`` at shared storage (an NFS or CephFS mount, an s3fs/rclone
mount of a bucket), so every host sees the same files. There are no public URLs: a
file is only ever served through a view that checks who is asking.

Files are written to a temporary name in the same folder and renamed when complete,
so a reader never sees half a file: a crashed or failed writer leaves only a
``.part`` file, which :meth:`LocalStorage.sweep` removes.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from flask import Flask

PART = ".part"
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageError(OSError):
    pass


class LocalStorage:
    """Files under one root folder, addressed by relative keys (``jobs/ab/x.pdf``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key) or ".." in key.split("/") or key.endswith(PART):
            raise StorageError(f"bad storage key: {key!r}")
        return self.root / key

    @contextmanager
    def writer(self, key: str) -> Iterator[BinaryIO]:
        """Write a file: the stream goes to a temporary name, renamed to ``key`` only
        when the block ends without an exception (then fsynced); on any exception the
        temporary file is deleted and nothing appears under ``key``."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{PART}")
        f = tmp.open("wb")
        try:
            yield f
            f.flush()
            os.fsync(f.fileno())
            f.close()
            tmp.replace(path)
        except BaseException:
            f.close()
            tmp.unlink(missing_ok=True)
            raise

    def put(self, key: str, data: bytes) -> None:
        with self.writer(key) as f:
            f.write(data)

    def open(self, key: str) -> BinaryIO:
        """The file for reading; raises FileNotFoundError when it is gone."""
        return self._path(key).open("rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def delete(self, key: str) -> None:
        """Delete the file (no error when it is already gone) and empty folders."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and parent.is_dir():
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def sweep(self, prefix: str, older_than_s: float) -> int:
        """Delete ``.part`` files under ``prefix`` older than ``older_than_s`` seconds
        (left by a writer that was killed). Returns how many."""
        base = self.root / prefix
        if not base.is_dir():
            return 0
        limit = time.time() - older_than_s
        n = 0
        for p in base.rglob(f"*{PART}"):
            try:
                if p.stat().st_mtime < limit:
                    p.unlink()
                    n += 1
            except FileNotFoundError:
                continue
        return n


def get_storage(app: Flask) -> LocalStorage:
    """The app's storage (a cheap object: the root folder is all it holds)."""
    root = app.config.get("STORAGE_DIR") or ""
    return LocalStorage(Path(root) if root else Path(app.instance_path) / "files")
