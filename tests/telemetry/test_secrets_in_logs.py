"""No secret reaches the logs, at DEBUG, through a whole run: lookups, button presses, denials, failures,
forgeries.

Every record is captured on the root logger (slack_sdk, slack_bolt and urllib3 included) and formatted in
full, arguments, structured fields and tracebacks included.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from bot.core.blocks import EXPORT_ACTION, SHARE_ACTION
from bot.settings import WhmcsSettings
from bot.slack.membership import FAILURE_MEMORY_SECONDS
from bot.telemetry.logs import LIBRARY_FLOORS, JsonFormatter, configure
from tests.fakes.clock import FakeClock
from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes.whmcs import ACCESS_KEY, IDENTIFIER, SECRET, FakeWhmcs, Reply, entry, error
from tests.serve.test_gate import FORM, post, sign
from tests.slack_harness import BOB, MALLORY, BotUnderTest, buttons, running_bot

SECRETS = {
    "bot token": BOT_TOKEN,
    "signing secret": SIGNING_SECRET,
    "WHMCS identifier": IDENTIFIER,
    "WHMCS secret": SECRET,
    "WHMCS access key": ACCESS_KEY,
}
BILLING_TEXT = "Goodwill for the March outage"
VERIFICATION_TOKEN = "deprecated-verification-token"
LOGGERS = ("", "slack_sdk", "slack_bolt", "urllib3", *LIBRARY_FLOORS)


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def in_full(record: logging.LogRecord) -> str:
    plain = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    return " ".join([plain, JsonFormatter().format(record), repr(record.msg), repr(record.args)])


@pytest.fixture
def captured() -> Iterator[Everything]:
    """All records from every logger at DEBUG; the logging set-up is restored afterwards."""
    root = logging.getLogger()
    saved = [(name, logging.getLogger(name).level) for name in LOGGERS], root.handlers[:]
    handler = Everything()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in LOGGERS[1:]:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield handler
    levels, handlers = saved
    root.handlers[:] = handlers
    for name, level in levels:
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def settings_with_access_key(whmcs: FakeWhmcs) -> WhmcsSettings:
    return WhmcsSettings(
        whmcs_url=whmcs.url,
        whmcs_identifier=IDENTIFIER,
        whmcs_secret=SECRET,
        whmcs_access_key=ACCESS_KEY,
        whmcs_timeout=1,
    )


def whole_run(bot: BotUnderTest, slack: FakeSlack, whmcs: FakeWhmcs, clock: FakeClock) -> None:
    """Everything that logs: each kind of answer, failure and refusal the bot has."""
    whmcs.set_credits(42, [entry(1, "2024-03-01", BILLING_TEXT, "12.34")])
    slack.methods["usergroups.users.list"] = lambda args: (500, {"ok": False, "error": "fatal_error"})
    assert bot.answer(bot.command("42", user=BOB))["text"].startswith("I couldn't verify")
    del slack.methods["usergroups.users.list"]
    clock.advance(FAILURE_MEMORY_SECONDS)  # Slack's failure is no longer remembered
    answer = bot.answer(bot.command("42"))
    for action in (EXPORT_ACTION, SHARE_ACTION):
        assert bot.answer(bot.click(buttons(answer)[action]))["replace_original"] is False
    assert bot.answer(bot.click(buttons(answer)[EXPORT_ACTION], user=MALLORY))["text"].startswith(
        "You're not"
    )
    bot.answer(bot.command("42", user=BOB))
    bot.command("help")
    bot.command("not a client")
    assert bot.command("42", user=MALLORY).json()["text"].startswith("You're not allowed")
    whmcs.queue(Reply("<html>Bad gateway</html>", status=502, content_type="text/html"))
    whmcs.queue(Reply("<html>Bad gateway</html>", status=502, content_type="text/html"))
    bot.answer(bot.command("7"))
    whmcs.queue(Reply({"result": "success"}, delay=1.5))
    bot.answer(bot.command("8"))
    whmcs.queue(error("Authentication Failed", status=403))
    bot.answer(bot.command("9"))
    bot.answer(bot.command("10"))
    assert bot.command("42", secret="forged-secret").status == 401
    assert bot.command("42", timestamp=int(time.time()) - 6 * 60).status == 401
    body = b"text=\xff"
    assert post(bot, body, {**sign(body), "Content-Type": FORM}).status_code == 400
    button = urlencode({"payload": json.dumps({"type": "block_actions", "actions": [{"action_id": "x"}]})})
    assert post(bot, button.encode(), {**sign(button.encode()), "Content-Type": FORM}).status_code < 500


def leaks(records: list[logging.LogRecord], values: dict[str, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for record in records:
        text = in_full(record)
        for name, value in values.items():
            if value in text:
                found.setdefault(name, []).append(text[:300])
    return found


def test_no_secret_is_logged_even_with_every_library_at_debug(
    captured: Everything,
    slack: FakeSlack,
    whmcs: FakeWhmcs,
    settings_with_access_key: WhmcsSettings,
    clock: FakeClock,
) -> None:
    with running_bot(slack, settings_with_access_key, clock=clock) as bot:
        whole_run(bot, slack, whmcs, clock)
    loggers = {record.name.split(".")[0] for record in captured.records}
    assert {"slack_sdk", "slack_bolt", "urllib3", "credits", "bot"} <= loggers
    assert leaks(captured.records, SECRETS) == {}


def test_as_configured_neither_billing_data_nor_refused_bodies_are_logged(
    captured: Everything,
    slack: FakeSlack,
    whmcs: FakeWhmcs,
    settings_with_access_key: WhmcsSettings,
    capsys: pytest.CaptureFixture[str],
    clock: FakeClock,
) -> None:
    configure("DEBUG", json_lines=True, secrets=list(SECRETS.values()))
    logging.getLogger().addHandler(captured)
    with running_bot(slack, settings_with_access_key, clock=clock) as bot:
        whole_run(bot, slack, whmcs, clock)
    sensitive = SECRETS | {
        "billing data": BILLING_TEXT,
        "verification token": VERIFICATION_TOKEN,
        "response_url path": "/response/",  # every request's response_url (tests/fakes/slack.py)
    }
    assert leaks(captured.records, sensitive) == {}
    refused = [r for r in captured.records if r.getMessage() == "request_refused"]
    ages = sorted(r.fields["timestamp_age_s"] for r in refused)  # type: ignore[attr-defined]
    assert len(ages) == 2 and ages[0] < 5 and 6 * 60 <= ages[1] < 6 * 60 + 5, "forged, then replayed"
    stdout = capsys.readouterr().out
    assert '"event": "command"' in stdout
    assert not any(value in stdout for value in sensitive.values())


def test_a_secret_that_reaches_a_log_line_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure("INFO", json_lines=True, secrets=[SECRET, 'with "quotes"'])
        logging.getLogger("credits.test").warning("url %s?secret=%s", "https://x", SECRET)
        logging.getLogger("credits.test").warning("quoted", extra={"fields": {"value": 'with "quotes"'}})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["event"] == "url https://x?secret=[redacted]"
    assert lines[1]["value"] == "[redacted]"


def test_a_slack_response_url_that_reaches_a_log_line_is_redacted(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    url = "https://hooks.slack.com/commands/T0FAKE/1234567890/abcDEFghiJKL"
    try:
        configure("DEBUG", json_lines=False)
        logging.getLogger("urllib3.connectionpool").debug('%s "POST %s HTTP/1.1" 200 2', "https://x", url)
        logging.getLogger("credits.test").warning("posting", extra={"fields": {"to": url}})
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    out = capsys.readouterr().out
    assert "POST" not in out, "urllib3's request lines stay below its INFO floor"
    assert "abcDEFghiJKL" not in out and "T0FAKE/1234567890" not in out
    assert "to=https://hooks.slack.com/[redacted]" in out
