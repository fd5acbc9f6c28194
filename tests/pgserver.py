"""A PostgreSQL server of the test's own, in a temporary folder, that the test may
stop and restart (the shared server of SIGNAGE_TEST_DATABASE_URL is never touched).

Uses Debian's binaries in /usr/lib/postgresql/*/bin; tests skip when they are absent.
As root, the server runs as the ``postgres`` user (initdb refuses root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    dirs = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[4])
    )
    for d in reversed(dirs):
        if os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return Path(d)
    return None


class TempPostgres:
    def __init__(self, bindir: Path, data: Path, port: int, user: str | None) -> None:
        self.bindir, self.data, self.port, self._user = bindir, data, port, user
        self.url = f"postgresql://postgres@127.0.0.1:{port}/signage"

    def _run(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._user:
            cmd = ["runuser", "-u", self._user, "--", *cmd]
        subprocess.run(
            cmd, check=True, timeout=timeout, capture_output=True, cwd=self.data
        )

    def _pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=60"
        )
        self._run(
            "pg_ctl", "-D", str(self.data / "db"), "-l", str(self.data / "log"),
            "-w", "-o", options, action, *extra,
        )  # fmt: skip

    def start(self) -> None:
        self._pg_ctl("start")

    def restart(self) -> None:
        """Stop (fast: open connections are cut, as in a real restart) and start."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._pg_ctl("stop", "-m", "immediate")


@contextmanager
def temp_postgres() -> Iterator[TempPostgres]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (/usr/lib/postgresql/*/bin) not installed")
    user = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
        user = "postgres"
    data = Path(tempfile.mkdtemp(prefix="signage-pg-test."))
    if user:
        shutil.chown(data, user)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    pg = TempPostgres(bindir, data, port, user)
    try:
        pg._run("initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", timeout=120)  # fmt: skip
        pg.start()
        pg._run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                "signage")  # fmt: skip
        yield pg
    finally:
        with suppress(subprocess.SubprocessError, OSError):
            pg.stop()
        shutil.rmtree(data, ignore_errors=True)
