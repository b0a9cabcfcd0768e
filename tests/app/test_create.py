"""The Bolt app, dispatched in-process (Bolt's `App.dispatch`, no HTTP): signature checks by mode, the
refusal of incomplete commands, and its listeners registered; the loopback Slack answers its Web API."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.app.create import create_app
from bot.app.lookup_pool import LookupPool
from bot.app.services import Services
from bot.settings import ConfigurationError
from tests.fakes.slack import SIGNING_SECRET, FakeSlack
from tests.slack_harness import ALICE, CHANNEL, signed_headers, slack_settings

HELP = {"command": "/credits", "text": "help", "user_id": ALICE, "channel_id": CHANNEL, "team_id": "T1"}


@pytest.fixture
def pool(services: Services) -> Iterator[LookupPool]:
    lookups = LookupPool(2, services.acknowledged)
    yield lookups
    lookups.drain(10)


def signed(body: str, secret: str = SIGNING_SECRET, *, json_body: bool = False) -> BoltRequest:
    headers: dict[str, str | Sequence[str]] = dict(signed_headers(body, secret=secret))
    if json_body:
        headers["Content-Type"] = "application/json"
    return BoltRequest(body=body, headers=headers)


def app_for(slack: FakeSlack, services: Services, pool: LookupPool, *, socket_mode: bool = False) -> App:
    return create_app(slack_settings(slack), services, socket_mode=socket_mode, pool=pool)


def test_over_http_a_request_needs_slacks_signature(
    slack: FakeSlack, services: Services, pool: LookupPool
) -> None:
    app = app_for(slack, services, pool)
    body = urlencode(HELP)
    assert app.dispatch(BoltRequest(body=body)).status == 401
    assert app.dispatch(signed(body, secret="wrong")).status == 401
    answered = app.dispatch(signed(body))
    assert answered.status == 200
    assert "/credits" in answered.body


def test_over_the_socket_there_is_nothing_to_sign(
    slack: FakeSlack, services: Services, pool: LookupPool
) -> None:
    app = app_for(slack, services, pool, socket_mode=True)
    answered = app.dispatch(BoltRequest(body=HELP, mode="socket_mode"))
    assert answered.status == 200


@pytest.mark.parametrize("missing", ["user_id", "channel_id"])
def test_a_signed_command_without_its_person_or_channel_is_refused(
    slack: FakeSlack, services: Services, pool: LookupPool, missing: str
) -> None:
    body = urlencode({name: value for name, value in HELP.items() if name != missing})
    refused = app_for(slack, services, pool).dispatch(signed(body))
    assert (refused.status, refused.body) == (400, "a command needs user_id and channel_id")


def test_authorization_asks_slack_nothing(slack: FakeSlack, services: Services, pool: LookupPool) -> None:
    app = app_for(slack, services, pool)
    body = urlencode(HELP)
    assert app.dispatch(signed(body)).status == 200
    assert slack.method_calls("auth.test") == []


def test_an_app_nobody_may_use_is_not_created(slack: FakeSlack, services: Services) -> None:
    with pytest.raises(ConfigurationError, match="nobody may use /credits"):
        create_app(slack_settings(slack, credits_allowed_users=[], credits_allowed_usergroups=[]), services)


def test_an_event_nobody_listens_for_is_not_handled(
    slack: FakeSlack, services: Services, pool: LookupPool
) -> None:
    body = json.dumps({"type": "event_callback", "team_id": "T1", "event": {"type": "reaction_added"}})
    assert app_for(slack, services, pool).dispatch(signed(body, json_body=True)).status == 404
