"""Answering through a request's `response_url` over one pooled HTTP session.

Bolt's `respond()` builds a new webhook client, and so a new TCP and TLS connection, for every answer. The
bot answers every lookup this way, so it keeps its connections to Slack alive instead (one
`requests.Session`, a pool the size of the lookup pool).
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


class ResponseUrlPoster:
    def __init__(self, pool_size: int, ca_bundle: str | None = None) -> None:
        self._session = requests.Session()
        self._verify: str | bool = ca_bundle if ca_bundle is not None else True
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_size)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers["User-Agent"] = "credits-bot"

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
