"""The services the app's listeners are handed, built as the web process builds them, against the loopback
Slack, and closed after the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app.bootstrap import build_services
from bot.app.services import Services
from bot.slack.web_api import slack_client
from bot.telemetry.metrics import Metrics
from tests.fakes.slack import FakeSlack
from tests.slack_harness import slack_settings


@pytest.fixture
def services(slack: FakeSlack) -> Iterator[Services]:
    settings = slack_settings(slack)
    built = build_services(settings, None, slack_client(settings), Metrics())
    yield built
    built.close()
