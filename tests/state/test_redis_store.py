"""The Redis store and its breaker, on a real redis-server and on a port where nothing listens."""

from __future__ import annotations

import logging
import threading

import pytest
import redis

from bot.state.redis_store import (
    BREAKER_OPEN_SECONDS,
    KEY_PREFIX,
    REDIS_TIMEOUT_SECONDS,
    RedisBreaker,
    RedisStore,
    connect,
)
from tests.fakes.clock import FakeClock
from tests.processes import free_port


def refused() -> str:
    raise redis.ConnectionError("Connection refused")


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "bot.state.redis_store"]


def test_a_failed_command_opens_the_breaker_and_redis_is_not_asked_until_it_may_be_probed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    breaker = RedisBreaker(clock=clock)
    asked: list[str] = []

    def command() -> str:
        asked.append("redis")
        return "from redis"

    with caplog.at_level(logging.INFO):
        assert breaker.call("cache", refused, lambda: "from memory") == "from memory"
        assert breaker.failing
        clock.advance(BREAKER_OPEN_SECONDS - 0.1)
        assert breaker.call("cache", command, lambda: "from memory") == "from memory"
        assert asked == []
        clock.advance(0.1)
        assert breaker.call("cache", command, lambda: "from memory") == "from redis"
    assert asked == ["redis"]
    assert not breaker.failing
    assert events(caplog) == ["redis_unavailable", "redis_recovered"]


def test_a_failed_probe_opens_the_breaker_again_without_a_second_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    breaker = RedisBreaker(open_seconds=5, clock=clock)
    with caplog.at_level(logging.INFO):
        breaker.call("cache", refused, lambda: None)
        clock.advance(5)
        breaker.call("cache", refused, lambda: None)
        clock.advance(4.9)
        assert breaker.call("cache", lambda: "redis", lambda: "memory") == "memory"
    assert events(caplog) == ["redis_unavailable"]
    assert breaker.failing


def test_while_one_call_probes_the_others_fall_back() -> None:
    clock = FakeClock()
    breaker = RedisBreaker(clock=clock)
    breaker.call("cache", refused, lambda: None)
    clock.advance(BREAKER_OPEN_SECONDS)
    probing, release = threading.Event(), threading.Event()

    def slow_probe() -> str:
        probing.set()
        release.wait(10)
        return "redis"

    results: list[str] = []
    prober = threading.Thread(target=lambda: results.append(breaker.call("cache", slow_probe, lambda: "x")))
    prober.start()
    assert probing.wait(10)
    assert breaker.call("cache", lambda: "redis too", lambda: "memory") == "memory"
    release.set()
    prober.join(10)
    assert results == ["redis"]
    assert breaker.call("cache", lambda: "redis again", lambda: "memory") == "redis again"


def test_errors_other_than_redis_errors_are_not_a_failing_redis() -> None:
    breaker = RedisBreaker()

    def broken() -> str:
        raise ValueError("a bug, not an outage")

    with pytest.raises(ValueError, match="a bug"):
        breaker.call("cache", broken, lambda: "memory")
    assert not breaker.failing


def test_values_are_json_under_the_prefix_and_expire_in_redis(redis_client: redis.Redis) -> None:
    RedisStore(redis_client).put("group:S1", {"members": ["U1"], "fetched": 1.5}, ttl=300)
    assert redis_client.get(KEY_PREFIX + "group:S1") == b'{"members": ["U1"], "fetched": 1.5}'
    left: int = redis_client.pttl(KEY_PREFIX + "group:S1")  # type: ignore[assignment]
    assert 299_000 < left <= 300_000
    assert RedisStore(redis_client).get("group:S1") == {"members": ["U1"], "fetched": 1.5}


def test_a_ttl_below_a_millisecond_still_expires_rather_than_failing(redis_client: redis.Redis) -> None:
    breaker = RedisBreaker()
    RedisStore(redis_client, breaker).put("brief", 1, ttl=0.0001)
    assert not breaker.failing
    left: int = redis_client.pttl(KEY_PREFIX + "brief")  # type: ignore[assignment]
    assert left <= 1


def test_a_value_another_process_wrote_is_read_from_redis(redis_client: redis.Redis) -> None:
    redis_client.set(KEY_PREFIX + "currencies", '[{"id": 1, "code": "USD"}]')
    assert RedisStore(redis_client).get("currencies") == [{"id": 1, "code": "USD"}]


def test_without_redis_the_process_keeps_what_it_put() -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0", verify_tls=True, pool_size=2)
    store = RedisStore(down)
    store.put("k", ["v"], ttl=60)
    assert store.get("k") == ["v"]
    assert store.get("other") is None


def test_connect_bounds_every_wait_and_the_pool() -> None:
    client = connect("redis://127.0.0.1:6379/0", verify_tls=True, pool_size=7)
    pool = client.connection_pool
    assert isinstance(pool, redis.BlockingConnectionPool)
    assert pool.max_connections == 7
    assert pool.timeout == REDIS_TIMEOUT_SECONDS
    assert pool.connection_kwargs["socket_timeout"] == REDIS_TIMEOUT_SECONDS
    assert pool.connection_kwargs["socket_connect_timeout"] == REDIS_TIMEOUT_SECONDS
    assert "ssl_cert_reqs" not in pool.connection_kwargs


def test_tls_verification_is_turned_off_only_when_asked_and_only_for_rediss() -> None:
    unverified = connect("rediss://example.com:6380/0", verify_tls=False, pool_size=1)
    assert unverified.connection_pool.connection_kwargs["ssl_cert_reqs"] == "none"
    verified = connect("rediss://example.com:6380/0", verify_tls=True, pool_size=1)
    assert "ssl_cert_reqs" not in verified.connection_pool.connection_kwargs
    plain = connect("redis://example.com:6379/0", verify_tls=False, pool_size=1)
    assert "ssl_cert_reqs" not in plain.connection_pool.connection_kwargs
