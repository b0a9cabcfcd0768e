"""A Slack Web API client that keeps its connections to Slack alive.

slack_sdk's WebClient sends every call through `urllib.request.urlopen`, which opens a new TCP and TLS
connection each time and closes it after the answer. `PooledWebClient` is that same client (its retry
handlers, its errors, its `SlackResponse`) with only the HTTP exchange replaced: one `requests.Session`
whose keep-alive pool is sized to `BOT_CONCURRENCY`.

It replaces the single method of WebClient that opens a connection, and keeps that method's contract: a
dict of status, headers and decoded body for an answer below 400; `urllib.error.HTTPError` for 400 and
above (so 429 reaches the rate-limit retry handler); `URLError` with the operating system's reason when
no answer could be had (so the connection-error retry handler retries it, and `check` can say "Connection
refused", as they would for urlopen). `tests/test_slack_web.py` pins that
contract against a loopback Slack, so a slack_sdk upgrade that changes it fails there first.
"""

from __future__ import annotations

import io
from http.client import HTTPMessage
from typing import Any, cast
from urllib.error import HTTPError, URLError
from urllib.request import Request

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError

from bot.slack_responses import keep_alive_session, verify_with


class PooledWebClient(WebClient):
    def __init__(self, *, pool_size: int, ca_bundle: str | None = None, **client_options: Any) -> None:
        super().__init__(**client_options)
        self._session = keep_alive_session(pool_size)
        self._verify = verify_with(ca_bundle)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not url.lower().startswith(("https://", "http://")):
            raise SlackRequestError(f"Invalid URL detected: {url}")
        headers = {name: str(value) for name, value in req.header_items() if name.lower() != "content-length"}
        body = cast(bytes | None, req.data)  # slack_sdk has encoded every body to bytes by now
        try:
            response = self._session.post(
                url, data=body, headers=headers, timeout=self.timeout, verify=self._verify
            )
        except requests.ConnectionError as error:
            raise URLError(underlying_os_error(error)) from None
        except requests.Timeout:
            raise TimeoutError(f"no answer from Slack within {self.timeout} s") from None
        message = HTTPMessage()
        for name, value in response.headers.items():
            message[name] = value
        if response.status_code >= 400:
            raise HTTPError(url, response.status_code, response.reason, message, io.BytesIO(response.content))
        text = response.content.decode(message.get_content_charset() or "utf-8")
        return {"status": response.status_code, "headers": message, "body": text}


def underlying_os_error(error: requests.ConnectionError) -> BaseException:
    """The operating system's error under requests' and urllib3's wrappers (refused, reset, DNS, TLS), which
    is what urlopen would have put in its URLError; the requests error itself when there is none."""
    found: BaseException = error
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, requests.RequestException):
            found = current
        reason = getattr(current, "reason", None)
        current = reason if isinstance(reason, BaseException) else current.__cause__ or current.__context__
    return found
