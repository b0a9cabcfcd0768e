"""No text from WHMCS or Slack loses a log line, an audit record or an export: lone surrogates (a JSON reply
may hold `"\\ud800"`), control characters, quotes, every plane of Unicode."""

from __future__ import annotations

import io
import json
import logging
from concurrent.futures import Executor, Future
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from bot.core.blocks import EXPORT_ACTION
from bot.core.credits import CreditEntry, CreditLog
from bot.core.csv_export import credit_log_csv
from bot.telemetry.audit import Auditor
from bot.telemetry.audit import logger as audit_logger
from bot.telemetry.logs import JsonFormatter, Redacting, TextFormatter, event
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, client, entry
from tests.processes import procfile_web, serving_env, wait_healthy
from tests.slack_harness import BotUnderTest, buttons

hostile = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
LONE = "\ud800"


class StrictUtf8(logging.StreamHandler[io.TextIOWrapper]):
    """A stdout as Heroku's: UTF-8, strict. Remembers each record logging would have dropped."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict"))
        self.setFormatter(formatter)
        self.dropped: list[logging.LogRecord] = []

    def handleError(self, record: logging.LogRecord) -> None:
        self.dropped.append(record)

    def lines(self) -> list[str]:
        self.stream.flush()
        raw: bytes = self.stream.buffer.getvalue()  # type: ignore[attr-defined]
        return raw.decode("utf-8").removesuffix("\n").split("\n")


def logged(formatter: logging.Formatter, emit: Any) -> list[str]:
    handler = StrictUtf8(formatter)
    test_logger = logging.getLogger("credits.hostile")
    test_logger.addHandler(handler)
    test_logger.propagate = False
    test_logger.setLevel(logging.INFO)
    try:
        emit(test_logger)
    finally:
        test_logger.removeHandler(handler)
    assert handler.dropped == []
    return handler.lines()


@given(hostile, hostile)
@example(LONE, "Jane \udfff Doe")
def test_every_json_event_is_written_and_reads_back(name: str, value: str) -> None:
    lines = logged(JsonFormatter(), lambda log: event(log, "command", client_name=value, asked=name))
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert (line["client_name"], line["asked"]) == (value, name)


@given(hostile)
@example(LONE)
def test_every_text_event_is_written_on_one_line(value: str) -> None:
    lines = logged(TextFormatter(), lambda log: event(log, "command", client_name=value))
    assert len(lines) == 1


@given(hostile)
@example(LONE)
def test_a_library_message_with_hostile_arguments_is_written(value: str) -> None:
    formatter = Redacting(JsonFormatter(), ["a-secret"])
    lines = logged(formatter, lambda log: log.warning("failed on %s with a-secret", value))
    assert json.loads(lines[0])["event"] == f"failed on {value} with [redacted]"


class Inline(Executor):
    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


@given(hostile, hostile)
@example(LONE, LONE)
def test_every_audit_record_is_written_and_its_channel_line_can_be_sent(name: str, user: str) -> None:
    sent: list[bytes] = []
    auditor = Auditor(lambda text: sent.append(text.encode("utf-8")), Inline())
    handler = StrictUtf8(logging.Formatter("%(message)s"))
    saved = audit_logger.handlers[:], audit_logger.propagate, audit_logger.level
    audit_logger.handlers[:] = [handler]
    audit_logger.propagate = False
    audit_logger.setLevel(logging.INFO)
    try:
        auditor.record(
            {"request_id": "r1", "outcome": "ok", "client_id": 42, "client_name": name, "user_name": user}
        )
    finally:
        audit_logger.handlers[:], audit_logger.propagate, level = saved
        audit_logger.setLevel(level)
    assert handler.dropped == []
    record = json.loads(handler.lines()[0])
    assert (record["client_name"], record["user_name"]) == (name, user)
    assert len(sent) == 1


@given(st.lists(hostile, min_size=1, max_size=5))
@example([LONE, "=SUM(A1)\ud83d"])
def test_every_csv_export_encodes_as_utf8(descriptions: list[str]) -> None:
    entries = tuple(
        CreditEntry(id=n, date=date(2024, 1, 1), description=text, amount=Decimal("1.00"))
        for n, text in enumerate(descriptions, 1)
    )
    exported = credit_log_csv(CreditLog(client_id=42, entries=entries))
    assert exported.encode("utf-8").decode("utf-8") == exported


def test_a_lone_surrogate_from_whmcs_loses_no_line_of_the_real_process(
    slack: FakeSlack, whmcs: FakeWhmcs
) -> None:
    whmcs.clients[42] = client(42, first=LONE, company=f"Acme {LONE}")
    whmcs.set_credits(42, [entry(1, "2024-01-01", f"Top-up {LONE}", "12.34")])
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        bot = BotUnderTest(url, slack)
        assert bot.answer(bot.command("42"))["text"].startswith(f"Credits of {LONE} Doe")
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert "Logging error" not in stderr
    lines = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    (command,) = [line for line in lines if line.get("event") == "command"]
    (audit,) = [line for line in lines if "outcome" in line and "event" not in line]
    assert command["client_name"] == audit["client_name"] == f"{LONE} Doe (Acme {LONE})"
    assert command["outcome"] == audit["outcome"] == "ok"


def test_the_csv_export_of_a_log_with_a_lone_surrogate_is_sent(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack
) -> None:
    whmcs.set_credits(42, [entry(1, "2024-01-01", f"Top-up {LONE}", "12.34")])
    answer = bot.answer(bot.command("42"))
    note = bot.answer(bot.click(buttons(answer)[EXPORT_ACTION]))
    assert note["text"] == "Sent you the CSV of client #42 (1 entries) in a direct message."
    (content,) = [data for data in slack.uploads.values() if data]
    assert "Top-up \ufffd" in content.decode("utf-8")
