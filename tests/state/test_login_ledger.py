"""The WHMCS login record in memory and in one Redis key (real redis-server): atomic, shared, bounded."""

from __future__ import annotations

import json

import redis

from bot.core.login_budget import RECORD_TTL_SECONDS, LoginRecord
from bot.state.login_ledger import ATTEMPTS, LOGIN_KEY, MemoryLoginLedger, RedisLoginLedger
from bot.state.redis_store import RedisBreaker, connect
from tests.processes import free_port

REFUSED = LoginRecord(refused_at=(1000.0,), streak=1, message="Authentication Failed")


def fail() -> None:
    raise redis.ConnectionError("Connection refused")


def refuse(before: LoginRecord) -> tuple[str, LoginRecord]:
    return "refused", REFUSED


def test_in_memory_a_change_sees_the_record_the_last_one_left() -> None:
    ledger = MemoryLoginLedger()
    assert ledger.read() == LoginRecord()
    assert ledger.update(refuse) == "refused"
    assert ledger.update(lambda before: (before.streak, before)) == 1


def test_processes_sharing_redis_read_one_record(redis_client: redis.Redis) -> None:
    assert RedisLoginLedger(redis_client).update(refuse) == "refused"
    assert RedisLoginLedger(redis_client).read() == REFUSED
    stored: bytes = redis_client.get(LOGIN_KEY)  # type: ignore[assignment]
    assert LoginRecord.from_json(json.loads(stored)) == REFUSED
    left: int = redis_client.pttl(LOGIN_KEY)  # type: ignore[assignment]
    assert RECORD_TTL_SECONDS * 1000 - 5_000 < left <= RECORD_TTL_SECONDS * 1000


def test_a_change_that_changes_nothing_writes_nothing(redis_client: redis.Redis) -> None:
    assert RedisLoginLedger(redis_client).update(lambda before: ("same", before)) == "same"
    assert redis_client.exists(LOGIN_KEY) == 0


def test_a_change_made_meanwhile_by_another_process_is_seen_by_a_second_try(
    redis_client: redis.Redis,
) -> None:
    other = RedisLoginLedger(redis_client)
    seen: list[LoginRecord] = []

    def count(before: LoginRecord) -> tuple[int, LoginRecord]:
        seen.append(before)
        if len(seen) == 1:
            other.update(refuse)  # between this process's WATCH and its write
        return before.streak, LoginRecord(streak=before.streak + 1)

    assert RedisLoginLedger(redis_client).update(count) == 1
    assert seen == [LoginRecord(), REFUSED]
    assert other.read().streak == 2


def test_a_record_that_never_settles_gives_up_after_its_attempts_and_memory_stands_in(
    redis_client: redis.Redis,
) -> None:
    other = RedisLoginLedger(redis_client)
    tries: list[int] = []

    def always_raced(before: LoginRecord) -> tuple[int, LoginRecord]:
        tries.append(1)
        other.update(lambda record: (None, LoginRecord(streak=record.streak + 1)))
        return len(tries), LoginRecord(streak=99)

    breaker = RedisBreaker()
    result = RedisLoginLedger(redis_client, breaker).update(always_raced)
    assert len(tries) == ATTEMPTS + 1, "each try in Redis, then once in memory"
    assert result == ATTEMPTS + 1
    assert breaker.failing


def test_when_redis_fails_the_process_goes_on_from_the_last_shared_record(redis_client: redis.Redis) -> None:
    breaker = RedisBreaker()
    ledger = RedisLoginLedger(redis_client, breaker)
    ledger.update(refuse)
    redis_client.delete(LOGIN_KEY)
    breaker.call("shared cache", fail, lambda: None)  # another user of this Redis saw it fail
    assert ledger.read() == REFUSED, "from memory, which kept the shared record"


def test_a_redis_that_cannot_be_reached_leaves_the_record_in_memory() -> None:
    down = connect(f"redis://127.0.0.1:{free_port()}/0", verify_tls=True, pool_size=1)
    ledger = RedisLoginLedger(down)
    assert ledger.update(refuse) == "refused"
    assert ledger.read() == REFUSED
