"""`python -m bot lookup` as a person runs it: against the loopback WHMCS in each shape, and the demo."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.__main__ import main
from bot.core.clients import ClientDetails
from bot.core.commands import Invalid, parse_command
from bot.core.credits import CreditEntry, CreditLog
from bot.core.text_output import log_as_json, log_as_table
from bot.core.views import CreditView
from tests.fakes.corpus import UNREADABLE_AMOUNT, ZERO_DATE
from tests.fakes.whmcs import (
    IDENTIFIER,
    SECRET,
    FakeWhmcs,
    Reply,
    client,
    credits_reply,
    entry,
    error,
    flattened,
    invoices,
)

ENTRIES = [
    entry(1, "2024-03-01", "Prepaid top-up", "100.10"),
    entry(2, "2024-03-05", "Credit Applied to Invoice #88", "-40.05"),
    entry(3, "2024-03-09", "Refund &amp; goodwill", "0.07", relid=91),
]


def cli_environment(whmcs: FakeWhmcs | None, env: dict[str, str]) -> dict[str, str]:
    """This process's environment without WHMCS or Slack settings, then those of `whmcs` and `env`."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("WHMCS_", "SLACK_"))
    }
    if whmcs is not None:
        environment.update(
            WHMCS_URL=whmcs.url, WHMCS_IDENTIFIER=IDENTIFIER, WHMCS_SECRET=SECRET, WHMCS_TIMEOUT="1"
        )
    environment.update(env)
    return environment


def run_cli(*args: str, whmcs: FakeWhmcs | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` in a process of its own, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=cli_environment(whmcs, env),
        timeout=30,
        check=False,
    )


def cli(*args: str, whmcs: FakeWhmcs | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """What `run_cli` gives, from `bot.__main__.main` in this process: an interpreter start for each call
    was a fifth of the whole suite's CPU time. The output's line ends are read as `text=True` reads them;
    `test_the_entry_point_is_the_same_in_a_process_of_its_own` holds the two to the same answers."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for key in os.environ:
            patch.delenv(key)
        for key, value in cli_environment(whmcs, env).items():
            patch.setenv(key, value)
        with redirect_stdout(stdout), redirect_stderr(stderr):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 1
    return subprocess.CompletedProcess(
        ["python", "-m", "bot", *args], code, universal(stdout.getvalue()), universal(stderr.getvalue())
    )


def universal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("shape", ["live", "documented"])
def test_lookup_prints_entries_and_exact_total(whmcs: FakeWhmcs, shape: str) -> None:
    reply = credits_reply(42, ENTRIES)
    whmcs.queue(Reply(reply if shape == "live" else flattened(reply)))
    result = cli("lookup", "#42", whmcs=whmcs)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Credit log of client #42"
    assert lines[1].startswith("date")
    assert "Refund & goodwill" in lines[3] and "0.07" in lines[3] and "#91" in lines[3]
    assert "Credit Applied to Invoice #88" in lines[4] and "-40.05" in lines[4]
    assert lines[-1] == "3 entries; total 60.12 (credits in 100.17, credits out -40.05)"


def test_lookup_json_keeps_amounts_as_strings(whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, ENTRIES)
    result = cli("lookup", "42", "--json", whmcs=whmcs)
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["total"] == "60.12"
    assert [e["amount"] for e in data["entries"]] == ["0.07", "-40.05", "100.10"]
    assert data["entries"][1]["invoice_id"] == 88


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (error("Client ID Not Found"), "Client 999 not found in WHMCS"),
        (error("Authentication Failed", 403), "WHMCS rejected the bot's API credentials"),
        (Reply("<html>oops</html>", status=500, content_type="text/html"), "WHMCS is unavailable: HTTP 500"),
    ],
)
def test_errors_are_one_line_on_stderr(whmcs: FakeWhmcs, reply: Reply, message: str) -> None:
    whmcs.queue(reply, reply)
    result = cli("lookup", "999", whmcs=whmcs)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert SECRET not in result.stderr and IDENTIFIER not in result.stderr


def test_missing_configuration_exits_2_naming_the_variable() -> None:
    result = cli("lookup", "1")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "credits-bot: configuration error: WHMCS_URL is not set; "
        "WHMCS_IDENTIFIER is not set; WHMCS_SECRET is not set"
    )


def test_plain_http_is_refused_with_advice() -> None:
    result = cli(
        "lookup", "1", WHMCS_URL="http://billing.example.com", WHMCS_IDENTIFIER="a", WHMCS_SECRET="b"
    )
    assert result.returncode == 2
    assert "use https://" in result.stderr and "Traceback" not in result.stderr


def test_invalid_client_id_is_a_usage_error() -> None:
    result = cli("lookup", "2147483648", "--demo")
    assert result.returncode == 2
    assert "client ids are whole numbers from 1 to 2,147,483,647" in result.stderr


def test_demo_needs_no_configuration() -> None:
    doc = cli("lookup", "1", "--demo")
    assert doc.returncode == 0
    assert "This is a sample credit record" in doc.stdout
    assert doc.stdout.splitlines()[-1].startswith("2 entries; total 0.00")
    long = cli("lookup", "2", "--demo", "--json")
    assert json.loads(long.stdout)["count"] >= 300
    empty = cli("lookup", "3", "--demo")
    assert "No credit entries." in empty.stdout


def test_demo_ignores_the_real_whmcs_settings() -> None:
    result = cli(
        "lookup", "1", "--demo", "--blocks", WHMCS_TIMEOUT="abc", WHMCS_ADMIN_PATH="real-admin-folder"
    )
    assert result.returncode == 0, result.stderr
    assert "real-admin-folder" not in result.stdout
    message = json.loads(result.stdout.rpartition("\nPreview: ")[0])
    assert (
        "<https://billing.example.com/admin/clientssummary.php?userid=1|#1>"
        in message["blocks"][0]["text"]["text"]
    )
    table = cli("lookup", "1", "--demo", WHMCS_TIMEOUT="abc", WHMCS_ADMIN_PATH="real-admin-folder")
    assert table.returncode == 0, table.stderr
    assert table.stdout == cli("lookup", "1", "--demo").stdout


def test_lookup_by_email_search_and_filters(whmcs: FakeWhmcs) -> None:
    whmcs.clients[42] = client(42, credit="60.12")
    whmcs.clients[43] = client(43, first="Janet", email="janet@example.com")
    whmcs.set_credits(42, ENTRIES)
    whmcs.invoice_stats[42] = invoices(2, "$80.00 USD")
    by_email = cli("lookup", "jane@example.com", "--since", "2024-03-02", whmcs=whmcs)
    assert by_email.returncode == 0, by_email.stderr
    lines = by_email.stdout.splitlines()
    assert lines[0] == "Credit log of Jane Doe (Acme Ltd) · #42 · jane@example.com · Active"
    assert lines[1] == "Balance in WHMCS: $60.12 USD"
    assert lines[2] == "Unpaid: 2 invoices, $80.00 USD · none overdue"
    assert lines[-2] == "2 entries (since 2024-03-02); total -39.98 (credits in 0.07, credits out -40.05)"
    assert lines[-1] == "All-time: 3 entries; total 60.12"
    several = cli("lookup", "jan", whmcs=whmcs)
    assert several.returncode == 1
    assert "2 clients match 'jan'; look one up by its id:" in several.stderr
    assert "#43  Janet Doe (Acme Ltd)" in several.stderr


def test_lookup_csv_and_last(whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, [*ENTRIES, entry(4, "2024-03-10", "=cmd|' /C calc'!A0", "1.00")])
    result = cli("lookup", "42", "--csv", "--last", "2", whmcs=whmcs)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "id,date,description,amount,invoice_id",
        "4,2024-03-10,'=cmd|' /C calc'!A0,1.00,",
        "3,2024-03-09,Refund & goodwill,0.07,91",
    ]


def test_a_zero_date_and_an_unreadable_amount_in_every_output(whmcs: FakeWhmcs) -> None:
    """Issue 12: the rows stay, the totals say they are incomplete and which entry could not be read."""
    whmcs.set_credits(42, [*ENTRIES, ZERO_DATE, UNREADABLE_AMOUNT])
    table = cli("lookup", "42", whmcs=whmcs)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[-1] == (
        "5 entries; total (incomplete) 65.12 (credits in 105.17, credits out -40.05): "
        "the amount of entry id 8 could not be read"
    )
    assert "no date" in table.stdout and "amount unreadable" in table.stdout
    data = json.loads(cli("lookup", "42", "--json", whmcs=whmcs).stdout)
    assert (data["total"], data["total_complete"], data["unreadable_amounts"]) == (
        "65.12",
        False,
        [{"id": 8, "position": 5}],
    )
    assert data["entries"][-1]["date"] is None
    rows = cli("lookup", "42", "--csv", whmcs=whmcs).stdout.splitlines()
    assert "8,2024-03-02,Imported balance,," in rows and rows[-1] == "7,,Goodwill credit,5.00,"


def test_bad_filter_is_a_usage_error() -> None:
    result = cli("lookup", "1", "--demo", "--since", "2024-05-01", "--until", "2024-01-01")
    assert result.returncode == 2
    assert "'since' is after 'until'" in result.stderr


def test_table_and_json_round_money_as_the_slack_answer_does() -> None:
    log = CreditLog.of(7, [CreditEntry(1, date(2024, 1, 1), "Odd amount", Decimal("0.125"))])
    view = CreditView(log)
    assert log_as_table(view).splitlines()[-1] == "1 entries; total 0.13 (credits in 0.13, credits out 0.00)"
    assert log_as_json(view)["total"] == view.currency.money(log.total) == "0.13"


@pytest.mark.parametrize(
    ("flag", "value"), [("--since", "20240101"), ("--until", "2024W011"), ("--last", "1_000")]
)
def test_filters_follow_the_slack_command_rules(flag: str, value: str) -> None:
    refused = parse_command(f"1 {flag.removeprefix('--')} {value}")
    assert isinstance(refused, Invalid)
    result = cli("lookup", "1", "--demo", flag, value)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"credits-bot: error: {refused.problem}"


def test_table_warns_when_the_balance_is_not_the_sum_of_the_log() -> None:
    log = CreditLog.of(7, [CreditEntry(1, date(2024, 1, 1), "Top-up", Decimal("10.00"))])
    details = ClientDetails(7, "Jane", "Doe", "", "jane@example.com", "Active", Decimal("12.50"), None, "")
    differing = CreditView(log, details=details)
    assert differing.differing_balance == Decimal("12.50")
    assert log_as_table(differing).splitlines()[1:3] == [
        "Balance in WHMCS: 12.50",
        "Warning: the log sums to 10.00; WHMCS's balance is 12.50",
    ]
    matching = CreditView(log, details=replace(details, credit=Decimal("10.00")))
    assert matching.differing_balance is None
    assert "Warning" not in log_as_table(matching)


def test_blocks_prints_the_slack_message_and_a_preview_link() -> None:
    result = cli("lookup", "1", "--demo", "--blocks")
    assert result.returncode == 0, result.stderr
    message_text, _, preview = result.stdout.rpartition("\nPreview: ")
    message = json.loads(message_text)
    assert message["text"].startswith("Credits of Jane Doe (Acme Ltd) (#1): 2 entries")
    assert preview.startswith("https://app.slack.com/block-kit-builder/#%7B%22blocks%22")
    preview_link, _, fallback_text = preview.partition("\n\nFallback, sent when Slack refuses the table")
    assert "\n" not in preview_link.strip()
    (table,) = message["attachments"][0]["blocks"]
    assert table["type"] == "table" and len(table["rows"]) == 3
    fallback = json.loads(fallback_text.partition("\n")[2])
    assert "attachments" not in fallback
    assert any(block["type"] == "divider" for block in fallback["blocks"])
    assert "Unpaid: 3 invoices, $120.00 USD · Overdue: 1, $40.00 USD" in message["blocks"][0]["text"]["text"]


@pytest.mark.parametrize(
    "args", [("lookup", "1", "--demo", "--csv"), ("lookup", "2147483648", "--demo"), ("lookup", "1")]
)
def test_the_entry_point_is_the_same_in_a_process_of_its_own(args: tuple[str, ...]) -> None:
    """The in-process `cli` the other tests use answers as `python -m bot` does: output, errors, exit code."""
    real, here = run_cli(*args), cli(*args)
    assert (real.returncode, real.stdout, real.stderr) == (here.returncode, here.stdout, here.stderr)
