"""The Slack Web API client the listeners use: slack_sdk's own, with bounded retries and timeout."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.web_api import slack_client
from tests.fakes.slack import BOT_SCOPES, BOT_TOKEN, FakeSlack, MethodAnswer
from tests.slack_harness import BILLING_GROUP, slack_settings


def test_answers_read_as_they_do_from_slack_sdk(slack: FakeSlack) -> None:
    ours = slack_client(slack_settings(slack)).auth_test()
    stock = WebClient(token=BOT_TOKEN, base_url=slack.api_url).auth_test()
    assert ours.status_code == stock.status_code == 200
    assert ours.data == stock.data
    assert ours.headers.get("x-oauth-scopes") == stock.headers.get("x-oauth-scopes") == ",".join(BOT_SCOPES)


@pytest.mark.parametrize(
    ("answer", "error", "status"),
    [
        ((429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}), "ratelimited", 429),
        ((500, {"ok": False, "error": "fatal_error"}), "fatal_error", 500),
        ((200, {"ok": False, "error": "channel_not_found"}), "channel_not_found", 200),
    ],
)
def test_errors_raise_what_slack_sdk_raises(
    slack: FakeSlack, answer: MethodAnswer, error: str, status: int
) -> None:
    slack.methods["chat.postMessage"] = lambda args: answer
    for client in (slack_client(slack_settings(slack)), WebClient(token=BOT_TOKEN, base_url=slack.api_url)):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C0BILLING", text="hello")
        assert raised.value.response.status_code == status
        assert raised.value.response["error"] == error
    assert len(slack.method_calls("chat.postMessage")) == 2, "a Retry-After of 30 s is not waited for"


def test_a_slow_slack_times_out_without_a_retry(slack: FakeSlack) -> None:
    finished = threading.Event()

    def slow(args: dict[str, Any]) -> MethodAnswer:
        finished.wait(2)  # Slack answering after 2 s, unless the test is done before
        return 200, {"ok": True, "users": []}

    slack.methods["usergroups.users.list"] = slow
    client = slack_client(slack_settings(slack), timeout=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.usergroups_users_list(usergroup=BILLING_GROUP)
    assert time.monotonic() - started < 1.8
    assert len(slack.method_calls("usergroups.users.list")) == 1
    finished.set()
