"""What every entry point shares, in-process: the demo services (memory store, demo WHMCS) with the
loopback Slack for the answers. The flows through Bolt are in the listeners' own tests."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.app.listeners.work import Work, finish, guarded, promise_answer, reply, start
from bot.app.services import Services
from bot.core.blocks import notice
from bot.core.errors import ClientNotFound
from bot.core.messages import RESTARTED
from bot.core.outcomes import Outcome
from tests.fakes.slack import FakeSlack

COMMAND = {
    "user_id": "U1",
    "channel_id": "C1",
    "team_id": "T1",
    "user_name": "bob",
    "text": "42 " + "x" * 300,
    "response_url": "https://hooks.slack.com/commands/1",
    "trigger_id": "t1",
}


def lines(caplog: pytest.LogCaptureFixture, name: str) -> list[dict[str, object]]:
    return [getattr(r, "fields", {}) for r in caplog.records if r.getMessage() == name]


def test_a_command_names_who_asked_what_where_clipped_to_200() -> None:
    work = Work.of_command(COMMAND)
    assert (work.kind, work.user_id, work.channel_id, work.team_id, work.user_name) == (
        "command",
        "U1",
        "C1",
        "T1",
        "bob",
    )
    assert work.asked is not None and len(work.asked) == 200 and work.asked.startswith("42 x")
    assert (work.response_url, work.trigger_id, work.direct) == (COMMAND["response_url"], "t1", False)
    assert len(work.request_id) == 12 and Work.of_command(COMMAND).request_id != work.request_id


def test_a_shortcut_is_answered_directly_and_a_button_names_its_action() -> None:
    body = {"user": {"id": "U1", "name": "bob", "team_id": "T9"}, "callback_id": "credits_picker"}
    shortcut = Work.of_shortcut(body)
    assert (shortcut.kind, shortcut.channel_id, shortcut.team_id, shortcut.direct) == (
        "picker",
        "",
        "T9",
        True,
    )
    assert (shortcut.user_name, shortcut.asked) == ("bob", "credits_picker")
    pressed = Work.of_action(
        {"user": {"id": "U1", "username": "bobby"}, "team": {"id": "T1"}, "channel": {"id": "C1"}},
        {"action_id": "credits_next", "value": "42:20"},
    )
    assert (pressed.kind, pressed.team_id, pressed.user_name, pressed.asked) == (
        "button",
        "T1",
        "bobby",
        "credits_next 42:20",
    )
    assert Work.of_action({}, {}).user_id == "", "a malformed body is a request from nobody, not a crash"


def test_the_operator_line_has_only_the_fields_known() -> None:
    work = Work.of_command(COMMAND)
    assert work.log_fields() == {}
    work.client_id, work.entries = 42, 0
    assert work.log_fields() == {"client": 42, "entries": 0}


def test_a_whmcs_failure_is_one_sentence_and_its_outcome(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    work = Work.of_command(COMMAND)

    def lookup() -> tuple[dict[str, object], Outcome]:
        raise ClientNotFound("42")

    with caplog.at_level(logging.WARNING):
        message, outcome = guarded(services, work, lookup)
    assert outcome is Outcome.NOT_FOUND
    assert "42" in str(message["text"])
    assert work.whmcs_ms is not None
    assert [line["kind"] for line in lines(caplog, "whmcs_failed")] == ["ClientNotFound"]


def test_a_bug_is_a_reference_for_the_person_and_a_line_without_its_message(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    work = Work.of_command(COMMAND)

    def broken() -> tuple[dict[str, object], Outcome]:
        raise KeyError("secret-looking text")

    with caplog.at_level(logging.ERROR):
        message, outcome = guarded(services, work, broken)
    assert outcome is Outcome.ERROR
    assert f"`{work.request_id}`" in str(message["text"])
    (line,) = lines(caplog, "unexpected_error")
    assert line["kind"] == "KeyError"
    assert re.fullmatch(r".+/test_work\.py:\d+", str(line["at"])), "where it was raised"
    assert "secret-looking" not in caplog.text


def test_what_escapes_work_on_the_pool_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    def run() -> None:
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR), ThreadPoolExecutor(1) as pool:
        start(pool, Work.of_command(COMMAND), run)
    assert [line["kind"] for line in lines(caplog, "unexpected_error")] == ["RuntimeError"]


def test_an_answer_after_the_drain_told_the_person_is_not_sent_nor_recorded(
    services: Services, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    work = Work.of_command(COMMAND | {"response_url": slack.response_url("late")})
    promise_answer(services, work)
    services.acknowledged.interrupt(10)
    (told,) = slack.wait_for_responses("late")
    assert told["text"] == RESTARTED
    with caplog.at_level(logging.INFO):
        reply(services, notice("the late answer"), work)
        finish(services, work, Outcome.OK)
    assert work.superseded
    assert [r["text"] for r in slack.wait_for_responses("late")] == [RESTARTED]
    assert lines(caplog, "command") == []


def test_a_lost_answer_is_recorded_as_lost_unless_the_data_reached_slack_anyway(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        for outcome in (Outcome.OK, Outcome.EXPORTED):
            work = Work.of_command(COMMAND)
            work.answer_lost = True
            finish(services, work, outcome)
    assert [line["outcome"] for line in lines(caplog, "command")] == ["answer_lost", "exported"]


def test_a_lookup_answered_is_remembered_for_the_home_tab(services: Services) -> None:
    work = Work.of_command(COMMAND)
    work.client_id, work.client_name = 42, "Jane Doe"
    finish(services, work, Outcome.OK)
    finish(services, Work.of_command(COMMAND), Outcome.NOT_FOUND)
    assert [(item.client_id, item.name) for item in services.history.of("U1")] == [(42, "Jane Doe")]


def test_a_message_slack_would_refuse_is_cut_to_its_text(
    services: Services, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    work = Work.of_command(COMMAND | {"response_url": slack.response_url("big")})
    too_many = {"text": "Credits of client #42", "blocks": [{"type": "divider"}] * 60}
    with caplog.at_level(logging.ERROR):
        reply(services, too_many, work)
    (answer,) = slack.wait_for_responses("big")
    assert answer["text"] == "Credits of client #42"
    assert len(answer.get("blocks", [])) < 60
    assert lines(caplog, "message_over_limits")
