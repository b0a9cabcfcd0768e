"""The audit trail in-process: the JSON line of each record, the audit channel's sentence, and a post that
fails without the person or the log line noticing."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.core.outcomes import Outcome
from bot.telemetry.audit import Auditor, AuditRecord, audit_channel_text, configure_audit_log

FIELDS: dict[str, Any] = {
    "request_id": "r1",
    "kind": "command",
    "team_id": "T1",
    "user_id": "U1",
    "user_name": "bob",
    "channel_id": "C1",
    "asked": "42",
    "client_id": 42,
    "client_name": "Jane Doe",
    "outcome": Outcome.OK,
    "entries": 3,
    "whmcs_ms": 120,
}


def record(**changes: Any) -> AuditRecord:
    return AuditRecord(time="2026-01-01T00:00:00.000+00:00", **(FIELDS | changes))


def test_lookups_exports_and_shares_are_posted_with_the_client_named() -> None:
    assert audit_channel_text(record()) == "@bob looked up credits for Jane Doe (#42) in <#C1>"
    assert audit_channel_text(record(outcome=Outcome.EXPORTED)) == (
        "@bob exported the credits of Jane Doe (#42) in <#C1>"
    )
    assert audit_channel_text(record(outcome=Outcome.SHARED, client_name=None, channel_id=None)) == (
        "@bob shared the credits of #42 in a direct message"
    )


def test_a_denial_is_posted_and_names_nobody_but_the_person() -> None:
    assert (
        audit_channel_text(record(outcome=Outcome.DENIED, user_name=None))
        == "@U1 was refused /credits in <#C1>"
    )
    assert audit_channel_text(record(outcome=Outcome.DENIED, user_name=None, user_id=None)) == (
        "@someone was refused /credits in <#C1>"
    )


@pytest.mark.parametrize(
    "outcome", [o for o in Outcome if o not in (Outcome.OK, Outcome.EXPORTED, Outcome.SHARED, Outcome.DENIED)]
)
def test_nothing_else_is_worth_a_post(outcome: Outcome) -> None:
    assert audit_channel_text(record(outcome=outcome)) is None


def test_a_lookup_without_a_client_is_not_posted() -> None:
    assert audit_channel_text(record(client_id=None)) is None


def test_names_cannot_ping_or_link() -> None:
    text = audit_channel_text(record(user_name="<!channel>", client_name="<https://evil|Jane> & co"))
    assert text == "@&lt;!channel&gt; looked up credits for &lt;https://evil|Jane&gt; &amp; co (#42) in <#C1>"


def test_a_record_is_one_json_line_of_every_field_and_only_those(caplog: pytest.LogCaptureFixture) -> None:
    with ThreadPoolExecutor(1) as executor, caplog.at_level(logging.INFO, logger="credits.audit"):
        Auditor(None, executor).record({"request_id": "r2", "outcome": "help", "amount": "12.50"})
    (line,) = [r.getMessage() for r in caplog.records if r.name == "credits.audit"]
    written = json.loads(line)
    assert set(written) == {"time", *FIELDS}
    assert written["outcome"] == "help" and written["client_id"] is None
    # (the field set above leaves out "amount"; its value is looked for as a JSON string, since the time,
    # 19:03:12.503, once held the digits 12.50)
    assert '"12.50"' not in line, "a field the record does not know is not written"


def test_the_channel_line_is_posted_on_the_executor() -> None:
    posted: list[str] = []
    with ThreadPoolExecutor(1) as executor:
        auditor = Auditor(posted.append, executor)
        auditor.record(FIELDS)
        auditor.record(FIELDS | {"outcome": Outcome.HELP})
    assert posted == ["@bob looked up credits for Jane Doe (#42) in <#C1>"]


def test_a_failing_post_is_one_warning_for_the_operator(caplog: pytest.LogCaptureFixture) -> None:
    def post(text: str) -> None:
        raise ConnectionError("Slack is down")

    with ThreadPoolExecutor(1) as executor, caplog.at_level(logging.INFO):
        Auditor(post, executor).record(FIELDS)
    failures = [r for r in caplog.records if r.getMessage() == "audit_post_failed"]
    assert [getattr(r, "fields", {}) for r in failures] == [{"request_id": "r1", "kind": "ConnectionError"}]
    assert any(r.name == "credits.audit" for r in caplog.records), "the audit line was written first"


def test_the_audit_log_is_bare_json_lines_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    audit = logging.getLogger("credits.audit")
    saved = audit.handlers[:], audit.level, audit.propagate
    try:
        configure_audit_log()
        assert audit.propagate is False, "the operator log's format does not wrap it"
        with ThreadPoolExecutor(1) as executor:
            Auditor(None, executor).record(FIELDS)
        out = capsys.readouterr().out
    finally:
        audit.handlers[:], audit.level, audit.propagate = saved[0], saved[1], saved[2]
    assert json.loads(out)["client_name"] == "Jane Doe"
