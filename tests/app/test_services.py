"""What the listeners are handed: the defaults a Services built by hand (in a test, say) starts with."""

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


def test_services_are_one_immutable_bundle(services: Services) -> None:
    with pytest.raises(AttributeError):
        services.allow_share = False  # type: ignore[misc]


def test_each_services_has_its_own_promises_and_kept_views(services: Services) -> None:
    other = Services(
        **{
            name: getattr(services, name)
            for name in (
                "lookups",
                "policy",
                "membership",
                "links",
                "whmcs_timeout",
                "metrics",
                "answer",
                "audit",
                "limiter",
                "slack",
                "picker",
                "history",
                "whmcs_status",
            )
        }
    )
    assert other.acknowledged is not services.acknowledged
    assert other.views is not services.views
    assert (other.allow_share, other.entry_table) == (True, False)
    other.close()
