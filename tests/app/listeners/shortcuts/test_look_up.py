"""The global shortcut "Look up credits", dispatched in-process into the app: it opens the picker, whose
answer goes to the person directly (Slack's `shortcut` payload: docs.slack.dev/reference/interaction-payloads/
shortcuts-interactions-payload)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.app.bootstrap import build_services
from bot.app.create import create_app
from bot.app.lookup_pool import LookupPool
from bot.app.services import Services
from bot.core.picker import PICKER_CALLBACK
from bot.slack.web_api import slack_client
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import TEAM_ID, FakeSlack
from tests.slack_harness import ALICE, MALLORY, signed_headers, slack_settings
from tests.waiting import until


@pytest.fixture
def app(slack: FakeSlack) -> Iterator[App]:
    settings = slack_settings(slack)
    services: Services = build_services(settings, None, slack_client(settings), Metrics())
    pool = LookupPool(2, services.acknowledged)
    yield create_app(settings, services, pool=pool)
    pool.drain(10)
    services.close()


def shortcut(app: App, user: str) -> int:
    payload = {
        "type": "shortcut",
        "team": {"id": TEAM_ID, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
        "callback_id": PICKER_CALLBACK,
        "trigger_id": "1.2.look",
    }
    body = urlencode({"payload": json.dumps(payload)})
    headers: dict[str, str | Sequence[str]] = dict(signed_headers(body))
    return app.dispatch(BoltRequest(body=body, headers=headers)).status


def picker_lines(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The shortcut's operator line, written once the picker is open (after views.open returns)."""

    def found() -> list[dict[str, object]]:
        return [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == "picker"]

    until(lambda: bool(found()), "the shortcut's operator line")
    return found()


def test_the_shortcut_opens_the_picker_for_a_direct_answer(
    app: App, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert shortcut(app, ALICE) == 200
        (opened,) = slack.wait_for_calls("views.open", 1)
        (line,) = picker_lines(caplog)
    assert opened["trigger_id"] == "1.2.look"
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    assert view["callback_id"] == PICKER_CALLBACK
    assert view["private_metadata"], "where the answer goes, given back on submit"
    assert (line["outcome"], line["user"], line["channel"]) == ("picker", ALICE, "")


def test_someone_not_allowed_is_told_in_the_modal_and_audited(
    app: App, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        assert shortcut(app, MALLORY) == 200
        slack.wait_for_calls("views.open", 1)
        (line,) = picker_lines(caplog)
    assert line["outcome"] == "denied"
