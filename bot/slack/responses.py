"""Answering through a request's `response_url` over one pooled HTTP session.

Bolt's `respond()` builds a new webhook client, and so a new TCP and TLS connection, for every answer. The
bot answers every lookup this way, so it keeps its connections to Slack alive instead (one
`requests.Session` with a pool of BOT_CONCURRENCY connections).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from bot.settings import is_loopback_host

RESPONSE_TIMEOUT_SECONDS = 10


class ResponseUrlError(Exception):
    """Slack did not take the answer (an expired or used-up response_url, or Slack down)."""


def keep_alive_session(pool_size: int) -> requests.Session:
    """A session that keeps up to `pool_size` connections per host alive.

    A custom certificate authority must be passed as `verify=` on each request: requests lets
    REQUESTS_CA_BUNDLE in the environment override a session's own `verify`.
    """
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "credits-bot"
    return session


def verify_with(ca_bundle: str | None) -> str | bool:
    """`verify=` for requests: the given certificate authorities, else the system's."""
    return ca_bundle if ca_bundle is not None else True


class ResponseUrlPoster:
    def __init__(self, pool_size: int, ca_bundle: str | None = None) -> None:
        self._session = keep_alive_session(pool_size)
        self._verify = verify_with(ca_bundle)

    def __call__(self, response_url: str, payload: dict[str, Any]) -> None:
        parts = urlsplit(response_url)
        if not (
            parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname or ""))
        ):
            raise ResponseUrlError("response_url is not https")
        try:
            response = self._session.post(
                response_url, json=payload, timeout=RESPONSE_TIMEOUT_SECONDS, verify=self._verify
            )
        except requests.RequestException as error:
            raise ResponseUrlError(type(error).__name__) from None
        if response.status_code != 200:
            raise ResponseUrlError(f"HTTP {response.status_code}")

    def close(self) -> None:
        self._session.close()
