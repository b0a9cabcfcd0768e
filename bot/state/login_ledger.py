"""Where the WHMCS login record lives: this process's memory, or Redis shared by every process.

Two dynos, or a web and a worker, that each kept their own count would together spend twice the budget of
refused logins, and WHMCS bans the server's IP at the third. With REDIS_URL set the record is one Redis
key, changed with WATCH/MULTI so that two processes cannot both take the one attempt after a pause. If
Redis fails, this process's memory stands in (the breaker shared with the other Redis users decides).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from bot.core.login_budget import RECORD_TTL_SECONDS, LoginRecord
from bot.state.redis_store import KEY_PREFIX, RedisBreaker

T = TypeVar("T")
LOGIN_KEY = f"{KEY_PREFIX}whmcs-logins"
ATTEMPTS = 20
"""Tries of one change when other processes keep changing the record meanwhile (each try is one round)."""


class MemoryLoginLedger:
    """The record in this process: what one process uses without Redis, and Redis's stand-in."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._record = LoginRecord()

    def read(self) -> LoginRecord:
        with self._lock:
            return self._record

    def update(self, change: Callable[[LoginRecord], tuple[T, LoginRecord]]) -> T:
        with self._lock:
            result, self._record = change(self._record)
            return result


class RedisLoginLedger:
    """The record in one Redis key for every process; memory when Redis is failing."""

    def __init__(self, client: redis.Redis, breaker: RedisBreaker | None = None) -> None:
        self._client = client
        self._breaker = breaker or RedisBreaker()
        self._memory = MemoryLoginLedger()

    def read(self) -> LoginRecord:
        def shared() -> LoginRecord:
            raw: Any = self._client.get(LOGIN_KEY)
            return LoginRecord.from_json(json.loads(raw)) if raw is not None else LoginRecord()

        return self._breaker.call("WHMCS login budget", shared, self._memory.read)

    def update(self, change: Callable[[LoginRecord], tuple[T, LoginRecord]]) -> T:
        return self._breaker.call(
            "WHMCS login budget", lambda: self._shared_update(change), lambda: self._memory.update(change)
        )

    def _shared_update(self, change: Callable[[LoginRecord], tuple[T, LoginRecord]]) -> T:
        for _ in range(ATTEMPTS):
            with self._client.pipeline() as pipe:
                try:
                    pipe.watch(LOGIN_KEY)  # type: ignore[no-untyped-call]
                    raw: Any = pipe.get(LOGIN_KEY)
                    before = LoginRecord.from_json(json.loads(raw)) if raw is not None else LoginRecord()
                    result, after = change(before)
                    pipe.multi()
                    if after != before:
                        pipe.set(LOGIN_KEY, json.dumps(after.to_json()), px=round(RECORD_TTL_SECONDS * 1000))
                    pipe.execute()
                except redis.WatchError:
                    continue
            self._remember(after)
            return result
        raise redis.RedisError("the WHMCS login record kept changing under this process")

    def _remember(self, record: LoginRecord) -> None:
        """Keep the shared record in memory too, so that if Redis fails the process goes on from it."""
        self._memory.update(lambda _: (None, record))
