"""What the listeners are handed: the defaults a Services built by hand (in a test, say) starts with."""

from __future__ import annotations

import pytest

from bot.app.services import Services


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
