"""Slack's Web API client as the bot uses it: bounded timeout, one retry for a refused connection and one
for a short rate limit. Listeners use this client (from Services), not the one Bolt builds for each request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    HttpRequest,
    HttpResponse,
    RateLimitErrorRetryHandler,
    RetryState,
)

from bot.core.numbers import whole_number
from bot.settings import SlackSettings

SLACK_TIMEOUT_SECONDS = 5


SLACK_LONGEST_RETRY_AFTER = 3


class ShortRateLimitRetry(RateLimitErrorRetryHandler):
    """Waits out Slack's 429 once, and only when its Retry-After is short.

    The wait happens on a lookup thread while a person waits for an answer, so a Retry-After of up to
    SLACK_LONGEST_RETRY_AFTER seconds is worth waiting (slack_sdk adds up to a second of jitter); a longer
    one, or one that is not a number of seconds, fails at once and the caller falls back (group membership
    uses its cached answer, or denies).
    """

    def __init__(self, longest_wait: int = SLACK_LONGEST_RETRY_AFTER) -> None:
        super().__init__(max_retry_count=1)
        self.longest_wait = longest_wait

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_seconds(response.headers)
        return wait is not None and wait <= self.longest_wait


def retry_after_seconds(headers: Mapping[str, str | list[str]]) -> int | None:
    """Retry-After as whole seconds (the only form Slack sends); None when absent or unreadable."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            values = [value] if isinstance(value, str) else value
            text = values[0].strip() if values else ""
            return whole_number(text)
    return None


def slack_client(settings: SlackSettings, timeout: float = SLACK_TIMEOUT_SECONDS) -> WebClient:
    """slack_sdk's own client, retrying a refused connection once and a short rate limit once.

    It opens a connection per call. A keep-alive pool saved about 1 ms a call over TLS, on calls that are
    rare (group membership every 5 minutes, audit posts, exports, shares), at the price of overriding a
    private slack_sdk method: not worth it.
    """
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=max(1, round(timeout)),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), ShortRateLimitRetry()],
    )


def audit_poster(client: WebClient, channel: str | None) -> Callable[[str], None] | None:
    if channel is None:
        return None

    def post(text: str) -> None:
        client.chat_postMessage(channel=channel, text=text, unfurl_links=False, unfurl_media=False)

    return post
