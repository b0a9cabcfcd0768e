"""Answering through a request's `response_url` over one pooled HTTP session.

Bolt's `respond()` builds a new webhook client, and so a new TCP and TLS connection, for every answer. The
bot answers every lookup this way, so it keeps its connections to Slack alive instead (one
`requests.Session` with a pool of BOT_CONCURRENCY connections, `bot.outbound`'s: the environment's proxy and
certificate bundle are read once).

An answer Slack did not take is tried again, within what Slack allows a response_url (5 uses in 30 minutes):
a 5xx, a 429 or a connection that failed (refused, reset) is retried, at most RESPONSE_ATTEMPTS times in all,
after Slack's Retry-After (whole seconds) or 1 s then 2 s; a Retry-After over RESPONSE_LONGEST_WAIT, any
other status (404: expired or used up) or a read timeout (the answer may have arrived) ends it. The wait
stays on the lookup thread, so one answer takes at most about 3 times 10 s plus 2 times 5 s.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bot.core.numbers import whole_number
from bot.outbound import post, session_over
from bot.settings import is_loopback_host

RESPONSE_TIMEOUT_SECONDS = 10
RESPONSE_ATTEMPTS = 3
RESPONSE_LONGEST_WAIT = 5
RESPONSE_BACKOFF = (1, 2)


class ResponseUrlError(Exception):
    """Slack did not take the answer (an expired or used-up response_url, Slack down, or a message it
    refuses: `code` is then Slack's error, such as `invalid_blocks`)."""

    def __init__(self, problem: str, code: str | None = None) -> None:
        super().__init__(problem)
        self.code = code


def refusal_code(response: requests.Response) -> str | None:
    """Slack's error code in an answer that refused a post (`{"ok": false, "error": "invalid_blocks"}`, or
    the bare word), else None."""
    text = response.text.strip()[:200]
    try:
        body = response.json()
    except ValueError:
        return text if text.replace("_", "").isalnum() and text != "ok" else None
    if isinstance(body, dict) and body.get("ok") is False and isinstance(body.get("error"), str):
        return str(body["error"])
    return None


class ResponseUrlPoster:
    def __init__(self, pool_size: int, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session = session_over(HTTPAdapter(pool_connections=2, pool_maxsize=pool_size))
        self._sleep = sleep

    def __call__(self, response_url: str, payload: dict[str, Any]) -> None:
        parts = urlsplit(response_url)
        if not (
            parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname or ""))
        ):
            raise ResponseUrlError("response_url is not https")
        body = json.dumps(payload, allow_nan=False).encode()
        for attempt in range(1, RESPONSE_ATTEMPTS + 1):
            problem, wait = self._post(response_url, body, RESPONSE_BACKOFF[min(attempt, 2) - 1])
            if problem is None:
                return
            code = problem.partition(": ")[2] or None
            if wait is None or attempt == RESPONSE_ATTEMPTS:
                raise ResponseUrlError(
                    problem if attempt == 1 else f"{problem} after {attempt} attempts", code
                )
            self._sleep(wait)

    def _post(self, response_url: str, body: bytes, backoff: int) -> tuple[str | None, int | None]:
        """What went wrong (None: delivered) and how long to wait before trying again (None: don't)."""
        try:
            response = post(
                self._session, response_url, body, "application/json", timeout=RESPONSE_TIMEOUT_SECONDS
            )
        except requests.ConnectionError as error:  # refused, reset, DNS, TLS, connect timeout: not delivered
            return type(error).__name__, backoff
        except requests.RequestException as error:  # a read timeout: it may have arrived, never post twice
            return type(error).__name__, None
        code = refusal_code(response)
        if response.status_code == 200:
            return (None, None) if code is None else (f"HTTP 200: {code}", None)
        problem = f"HTTP {response.status_code}" + (f": {code}" if code else "")
        if response.status_code == 429:
            asked = whole_number(response.headers.get("Retry-After", "").strip())
            wait = backoff if asked is None else asked
            return problem, wait if wait <= RESPONSE_LONGEST_WAIT else None
        return problem, backoff if response.status_code >= 500 else None

    def close(self) -> None:
        self._session.close()
