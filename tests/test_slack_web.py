"""The pooled Slack Web API client keeps slack_sdk's contract while reusing its connections."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_app import slack_client
from bot.slack_web import PooledWebClient
from tests.fakes.slack import BOT_SCOPES, BOT_TOKEN, HANG_UP, FakeSlack, MethodAnswer
from tests.slack_harness import BILLING_GROUP, BOB, slack_settings


def test_calls_share_one_kept_alive_connection(slack: FakeSlack) -> None:
    client = slack_client(slack_settings(slack))
    for _ in range(5):
        assert client.usergroups_users_list(usergroup=BILLING_GROUP)["users"] == [BOB]
    assert len(slack.api_connections) == 1


def test_urlopen_opens_a_connection_per_call_which_is_why_the_pool_exists(slack: FakeSlack) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
    for _ in range(3):
        client.usergroups_users_list(usergroup=BILLING_GROUP)
    assert len(slack.api_connections) == 3


def test_answers_read_as_they_do_from_slack_sdk(slack: FakeSlack) -> None:
    pooled = slack_client(slack_settings(slack)).auth_test()
    stock = WebClient(token=BOT_TOKEN, base_url=slack.api_url).auth_test()
    assert pooled.status_code == stock.status_code == 200
    assert pooled.data == stock.data
    assert pooled.headers.get("x-oauth-scopes") == stock.headers.get("x-oauth-scopes") == ",".join(BOT_SCOPES)


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


def test_a_kept_alive_connection_the_server_closed_is_retried_on_a_new_one(slack: FakeSlack) -> None:
    answers: list[MethodAnswer] = [(200, {"ok": True, "users": []}), (HANG_UP, {}), (200, {"ok": True})]
    slack.methods["usergroups.users.list"] = lambda args: answers.pop(0)
    client = slack_client(slack_settings(slack))
    client.usergroups_users_list(usergroup=BILLING_GROUP)
    assert client.usergroups_users_list(usergroup=BILLING_GROUP)["ok"] is True
    assert len(slack.api_connections) == 2


def test_a_slow_slack_times_out_without_a_retry(slack: FakeSlack) -> None:
    def slow(args: dict[str, Any]) -> MethodAnswer:
        time.sleep(2)
        return 200, {"ok": True, "users": []}

    slack.methods["usergroups.users.list"] = slow
    client = PooledWebClient(pool_size=2, token=BOT_TOKEN, base_url=slack.api_url, timeout=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.usergroups_users_list(usergroup=BILLING_GROUP)
    assert time.monotonic() - started < 1.8
    assert len(slack.method_calls("usergroups.users.list")) == 1


def test_only_web_urls_are_opened(slack: FakeSlack) -> None:
    client = PooledWebClient(pool_size=2, token=BOT_TOKEN, base_url="file:///etc/")
    with pytest.raises(Exception, match="Invalid URL"):
        client.auth_test()
