"""Storages for the rate-limit tests: the real ones. Redis comes from
SIGNAGE_TEST_REDIS_URL (.ci/run starts one); its tests skip when that is unset."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("SIGNAGE_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="SIGNAGE_TEST_REDIS_URL unset")


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=needs_redis)])
def storage_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"signage+sqlite://{tmp_path}/ratelimit.db"
    return REDIS_URL


@pytest.fixture
def secret() -> str:
    # Keys are keyed hashes: a new secret per test keeps tests apart in a shared Redis.
    return secrets.token_hex(16)


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers: a hung Redis."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(16)
        yield int(s.getsockname()[1])
