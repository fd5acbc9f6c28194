"""The rate-limit service on real storages: counting, giving back, failing safely."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import redis

from signage import create_app, ratelimit
from signage.ratelimit import OnError, RateLimiter, Rule
from signage.ratelimit.sqlite import SQLiteStorage

RULES = {
    "door": Rule("DOOR_LIMIT", OnError.OPEN),
    "login": Rule("LOGIN_LIMIT", OnError.LOCAL),
}
CONFIG = {"DOOR_LIMIT": "5 per minute", "LOGIN_LIMIT": "3 per 15 minutes"}


def _limiter(uri: str, secret: str, **config: object) -> RateLimiter:
    return RateLimiter(uri, config={**CONFIG, **config}, secret=secret, rules=RULES)


def test_hit_allows_the_figure_then_refuses(storage_uri, secret):
    limits = _limiter(storage_uri, secret)
    assert [limits.hit("door", "10.0.0.1") for _ in range(7)] == [True] * 5 + [
        False
    ] * 2
    assert limits.hit("door", "10.0.0.2")  # another address has its own allowance
    assert not limits.test("door", "10.0.0.1")
    assert 0 < limits.resets_in("door", "10.0.0.1") <= 60


def test_test_does_not_take_and_refund_gives_back(storage_uri, secret):
    limits = _limiter(storage_uri, secret)
    for _ in range(10):
        assert limits.test("login", "a@x.vn")
    assert [limits.hit("login", "a@x.vn") for _ in range(3)] == [True] * 3
    assert not limits.hit("login", "a@x.vn")
    limits.refund("login", "a@x.vn")
    assert limits.hit("login", "a@x.vn")
    assert not limits.hit("login", "a@x.vn")
    limits.clear("login", "a@x.vn")
    assert limits.hit("login", "a@x.vn")


def test_disabled_limits_allow_everything(storage_uri, secret):
    limits = _limiter(storage_uri, secret, RATELIMIT_ENABLED=False)
    assert all(limits.hit("door", "10.0.0.1") for _ in range(20))


def test_a_malformed_figure_fails_at_start(secret):
    with pytest.raises(ValueError):
        _limiter("memory://", secret, DOOR_LIMIT="five a minute")


def test_storage_holds_no_address(tmp_path, secret):
    limits = _limiter(f"signage+sqlite://{tmp_path}/rl.db", secret)
    limits.hit("door", "203.0.113.77")
    limits.hit("login", "someone@example.vn")
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"203.0.113.77" not in raw and b"someone@example.vn" not in raw
    assert b"door:" in raw  # the counters are there, under hashed keys


def test_sliding_window_holds_a_burst_across_the_boundary(
    tmp_path, secret, monkeypatch
):
    """Same answers as limits' own memory storage on the same clock: 5 hits at the
    end of one minute leave (almost) nothing for the start of the next."""
    now = [1_800_000_000 * 60 + 58.0]  # two seconds before a minute boundary
    monkeypatch.setattr(time, "time", lambda: now[0])
    sqlite = _limiter(f"signage+sqlite://{tmp_path}/rl.db", secret)
    memory = _limiter("memory://", secret)
    answers: dict[str, list[bool]] = {"sqlite": [], "memory": []}
    for step in [0.0] * 5 + [1.0, 1.5, 0.5, 30.0, 0.0, 0.0, 0.0, 29.0, 0.0]:
        now[0] += step
        answers["sqlite"].append(sqlite.hit("door", "x"))
        answers["memory"].append(memory.hit("door", "x"))
    assert answers["sqlite"] == answers["memory"]
    # 5 at :58, none at :59; just past the boundary the old minute still weighs
    # 5 x 59.5/60 -> 4, so one fits (a fixed window would give 5 more); at :31
    # it weighs 2 and 1 was taken: 2 fit; at the next boundary the weight is the
    # 3 of the previous minute: 2 fit.
    assert answers["sqlite"] == [True] * 5 + [False, True, False] + [
        True,
        True,
        False,
        False,
    ] + [True, True]


def test_sqlite_counts_one_counter_from_several_processes(tmp_path, secret):
    import multiprocessing

    uri = f"signage+sqlite://{tmp_path}/rl.db"
    limits = _limiter(uri, secret, DOOR_LIMIT="1000 per minute")
    limits.hit("door", "shared")  # the parent opens its connection before forking
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_hit_many, args=(uri, secret)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    allowed = sum(limits.hit("door", "shared") for _ in range(500))
    assert allowed == 1000 - 1 - 4 * 150  # no hit lost, none counted twice


def _hit_many(uri: str, secret: str) -> None:
    limits = _limiter(uri, secret, DOOR_LIMIT="1000 per minute")
    assert all(limits.hit("door", "shared") for _ in range(150))


# When the storage fails ---------------------------------------------------------


def test_redis_down_lets_door_through_and_counts_logins_locally(
    closed_port, secret, caplog
):
    limits = _limiter(f"redis://127.0.0.1:{closed_port}/0", secret)
    with caplog.at_level(logging.WARNING, logger="signage.ratelimit"):
        assert all(limits.hit("door", "198.51.100.9") for _ in range(20))
        assert [limits.hit("login", "a@x.vn") for _ in range(4)] == [True] * 3 + [False]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1  # once per outage, not once per request
    text = caplog.text
    assert "198.51.100.9" not in text and "a@x.vn" not in text
    assert "ConnectionError" in text


def test_a_hung_storage_costs_one_timeout_then_nothing(silent_server, secret):
    limits = _limiter(f"redis://127.0.0.1:{silent_server}/0", secret)
    started = time.monotonic()
    assert limits.hit("door", "x")
    first = time.monotonic() - started
    started = time.monotonic()
    assert all(limits.hit("door", "x") for _ in range(50))
    rest = time.monotonic() - started
    assert first < 2.0  # the socket timeout, not forever
    assert rest < first  # the storage is left alone while it is down


def test_storage_is_tried_again_and_recovery_logged(
    tmp_path, secret, monkeypatch, caplog
):
    monkeypatch.setattr(ratelimit, "RETRY_SECONDS", 0.05)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the folder should be")
    limits = _limiter(f"signage+sqlite://{blocker}/rl.db", secret)
    with caplog.at_level(logging.WARNING, logger="signage.ratelimit"):
        assert all(limits.hit("door", "x") for _ in range(7))  # open while down
        blocker.unlink()
        time.sleep(0.1)
        assert [limits.hit("door", "x") for _ in range(6)] == [True] * 5 + [False]
    assert "answers again" in caplog.text
    assert (blocker / "rl.db").exists()


# Bound to the app ---------------------------------------------------------------


def test_default_storage_is_a_file_in_the_instance_folder_shared_with_flask_limiter():
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": "sqlite://",
            "RATELIMIT_STORAGE_URI": "",
        }
    )
    expected = Path(app.instance_path) / "ratelimit.db"
    assert app.config["RATELIMIT_STORAGE_URI"] == f"signage+sqlite://{expected}"
    service = ratelimit.limiter(app)
    assert isinstance(service.storage, SQLiteStorage)
    assert service.storage.path == expected
    flask_limiter = next(iter(app.extensions["limiter"]))
    assert isinstance(flask_limiter.storage, SQLiteStorage)
    assert flask_limiter.storage.path == expected


def test_redis_setting_gets_short_socket_timeouts(closed_port):
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": "sqlite://",
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{closed_port}/0",
        }
    )
    storage = ratelimit.limiter(app).storage
    kwargs = storage.storage.connection_pool.connection_kwargs  # type: ignore[attr-defined]
    assert kwargs["socket_timeout"] == kwargs["socket_connect_timeout"] == 0.25
    assert isinstance(storage.storage, redis.Redis)  # type: ignore[attr-defined]
