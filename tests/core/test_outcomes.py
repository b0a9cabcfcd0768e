"""The one vocabulary of how a request ended: its values are what logs, audit lines and metrics carry."""

from __future__ import annotations

import json

from bot.core.outcomes import Outcome


def test_each_outcome_is_its_own_lowercase_name() -> None:
    """Log routers and dashboards match these strings: the value is the member's name, lower-cased."""
    assert all(outcome.value == outcome.name.lower() for outcome in Outcome)
    assert len({outcome.value for outcome in Outcome}) == len(Outcome)


def test_an_outcome_is_written_as_its_bare_string() -> None:
    assert str(Outcome.RATE_LIMITED) == "rate_limited"
    assert f"{Outcome.NOT_FOUND}" == "not_found"
    assert json.dumps({"outcome": Outcome.OK}) == '{"outcome": "ok"}'


def test_a_string_read_back_from_an_audit_line_is_the_outcome() -> None:
    assert Outcome("whmcs_unavailable") is Outcome.WHMCS_UNAVAILABLE
    assert "denied" in {Outcome.DENIED}, "an outcome equals its string: a set of strings finds it"
