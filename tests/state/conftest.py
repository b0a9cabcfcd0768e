"""One real redis-server for the state modules' unit tests in a worker, emptied before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.redis_server import redis_server


@pytest.fixture(scope="session")
def shared_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_client(shared_redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(shared_redis_url)
    client.flushall()
    yield client
    client.close()
