"""`/credits` end to end: signed requests into the real app, loopback Slack and WHMCS, what the user sees."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from bot.core.slack_limits import message_problems
from bot.settings import WhmcsSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, entry, error
from tests.slack_harness import BOB, CHANNEL, MALLORY, BotUnderTest, all_text, running_bot

ENTRIES = [
    entry(1, "2024-03-01", "Prepaid top-up", "100.10"),
    entry(2, "2024-03-05", "Credit Applied to Invoice #88", "-40.05"),
]


def test_listed_user_gets_a_private_summary(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, ENTRIES)
    reply = bot.command("42")
    assert reply.status == 200
    assert reply.json()["text"] == "Looking up the credits of client #42…"
    answer = bot.answer(reply)
    assert answer["response_type"] == "ephemeral"
    assert answer["replace_original"] is True
    text = all_text(answer)
    assert "Credits of client #42" in text
    assert "*Total*\n`60.05`" in text
    assert "`-40.05`  2024-03-05  Credit Applied to Invoice #88" in text
    assert "invoices.php?action=edit&amp;id=88|Invoice #88>" in text
    assert message_problems(answer) == []
    assert [call["clientid"] for call in whmcs.actions("GetCredits")] == ["42"]


def test_the_first_command_after_a_start_asks_the_web_api_nothing(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    """Bolt given only a token calls auth.test before the first acknowledgement; the bot must not."""
    whmcs.set_credits(42, ENTRIES)
    with running_bot(slack, whmcs_settings) as bot:
        reply = bot.command("42")
        assert reply.json()["text"] == "Looking up the credits of client #42…"
        assert "Credits of client #42" in all_text(bot.answer(reply))
    assert slack.calls == []


def test_hash_form_and_newest_first(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, ENTRIES)
    answer = bot.answer(bot.command("#42"))
    entries = [
        b["text"]["text"]
        for b in answer["blocks"]
        if b["type"] == "section" and "`" in b.get("text", {}).get("text", "")
    ]
    assert entries[0].startswith("`-40.05`")
    assert entries[1].startswith("`+100.10`")


def test_group_member_is_allowed_after_asking_slack(
    bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack
) -> None:
    whmcs.set_credits(42, ENTRIES)
    answer = bot.answer(bot.command("42", user=BOB))
    assert "Credits of client #42" in all_text(answer)
    bot.answer(bot.command("42", user=BOB))
    assert len(slack.method_calls("usergroups.users.list")) == 1, "membership is cached"


def test_stranger_is_denied_and_whmcs_never_called(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(42, ENTRIES)
    reply = bot.command("42", user=MALLORY)
    answer = bot.answer(reply)
    assert answer["text"].startswith("You're not allowed to look up billing credits; ask an admin to add you")
    assert whmcs.calls == []


def test_known_stranger_is_denied_in_the_acknowledgement(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    bot.answer(bot.command("42", user=MALLORY))
    reply = bot.command("42", user=MALLORY)
    assert reply.json()["text"].startswith("You're not allowed")
    assert whmcs.calls == []


def test_slack_failure_denies(slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    slack.methods["usergroups.users.list"] = lambda args: (500, {"ok": False})
    with running_bot(slack, whmcs_settings) as bot:
        answer = bot.answer(bot.command("42", user=BOB))
    assert answer["text"] == "I couldn't verify your access to billing data; try again in a moment."
    assert whmcs.calls == []


def test_channel_restriction(slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings) -> None:
    with running_bot(slack, whmcs_settings, credits_allowed_channels=[CHANNEL]) as bot:
        reply = bot.command("42", channel="C0GENERAL")
    assert reply.json()["text"] == f"`/credits` only answers in <#{CHANNEL}>."
    assert whmcs.calls == []


def test_forged_signature_is_refused(bot: BotUnderTest, whmcs: FakeWhmcs, slack: FakeSlack) -> None:
    reply = bot.command("42", secret="not-the-signing-secret")
    assert reply.status == 401
    bot.settle()
    assert whmcs.calls == []
    assert slack.responses == {}


def test_stale_timestamp_is_refused(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    reply = bot.command("42", timestamp=int(time.time()) - 6 * 60)
    assert reply.status == 401
    assert whmcs.calls == []


@pytest.mark.parametrize("text", ["help", "  HELP "])  # `/credits` alone opens the picker (issue 14)
def test_help(bot: BotUnderTest, whmcs: FakeWhmcs, text: str) -> None:
    reply = bot.command(text)
    assert "*/credits* shows a WHMCS client's credit log" in reply.json()["text"]
    bot.settle()
    assert whmcs.calls == []
    assert bot.slack.responses == {}


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "2147483648",
        "-1",
        "#",
        "4" * 600,
        "x",
        "a@b",
        "42 since",
        "42 since yesterday",
        "42 last 0",
        "42 until 2024-13-01",
        "42 since 2024-02-01 until 2024-01-01",
    ],
)
def test_invalid_input_gets_usage(bot: BotUnderTest, whmcs: FakeWhmcs, text: str) -> None:
    reply = bot.command(text)
    assert reply.status == 200
    assert "Usage: `/credits 42`" in reply.json()["text"]
    bot.settle()
    assert whmcs.calls == []


@pytest.mark.parametrize(
    ("whmcs_reply", "sentence"),
    [
        (error("Client ID Not Found"), "No client #42 in WHMCS."),
        (
            error("Authentication Failed", 403),
            "WHMCS rejected the bot's API credentials; tell a WHMCS administrator.",
        ),
        (
            error('Invalid Permissions: API action "getcredits" is not allowed', 403),
            "The bot's WHMCS API role does not allow the `getcredits` action",
        ),
        (
            error("Invalid IP 203.0.113.9", 403),
            "This server's IP is not allowed by WHMCS (WHMCS saw 203.0.113.9)",
        ),
        (
            Reply("<html>Bad gateway</html>", status=502, content_type="text/html"),
            "WHMCS can't be reached right now",
        ),
        (
            # Not a credit log as a whole (its rows are not objects); a row with unreadable fields is
            # shown since issue 12, so `[{"id":"x"}]` is no longer an example of this.
            Reply('{"result":"success","credits":{"credit":["x"]}}'),
            "WHMCS answered with something unexpected",
        ),
        (Reply({"result": "success"}, delay=3), "WHMCS didn't answer within 1 s, try again shortly."),
    ],
)
def test_each_whmcs_failure_is_one_clear_sentence(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings, whmcs_reply: Reply, sentence: str
) -> None:
    whmcs.queue(whmcs_reply, whmcs_reply)
    with running_bot(slack, whmcs_settings.model_copy(update={"whmcs_timeout": 1})) as bot:
        answer = bot.answer(bot.command("42"))
    assert answer["text"].startswith(sentence)
    assert "Traceback" not in answer["text"]
    assert "Error" not in answer["text"].replace("error", "")


def test_mentions_and_links_from_whmcs_are_shown_as_text(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(
        7,
        [
            entry(1, "2024-01-01", "<!channel> pay now", "1.00"),
            entry(2, "2024-01-02", "ping <@U123> and <https://evil.example|your bank>", "1.00"),
            entry(
                3, "2024-01-03", "Refund &amp; goodwill for client&#039;s &lt;b&gt;outage&lt;/b&gt;", "1.00"
            ),
        ],
    )
    text = all_text(bot.answer(bot.command("7")))
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt; pay now" in text
    assert "&lt;https://evil.example|your bank&gt;" in text
    assert "Refund &amp; goodwill for client's &lt;b&gt;outage&lt;/b&gt;" in text


def test_empty_log(bot: BotUnderTest, whmcs: FakeWhmcs) -> None:
    whmcs.set_credits(3, [])
    answer = bot.answer(bot.command("3"))
    assert "Client #3 has no credit entries" in all_text(answer)
    assert "Total: `0.00`" in all_text(answer)


def test_a_thousand_entries_stay_within_limits_with_the_exact_total(
    bot: BotUnderTest, whmcs: FakeWhmcs
) -> None:
    rows = [
        entry(
            i,
            f"20{10 + i % 14}-0{1 + i % 9}-1{i % 10}",
            "x" * (i % 900) + " <&>" * (i % 50),
            f"{(-1) ** i * (i * 7919 % 100000) / 100:.2f}",
        )
        for i in range(1, 1001)
    ]
    whmcs.set_credits(9, rows)
    answer = bot.answer(bot.command("9"))
    assert message_problems(answer) == []
    assert "Showing 20 of 1,000 entries" in all_text(answer)
    exact = sum((Decimal(row["amount"]) for row in rows), Decimal(0))
    assert f"*Total*\n`{exact:.2f}`" in all_text(answer)


def test_forty_concurrent_commands_with_slow_whmcs_are_all_acknowledged_and_answered(
    slack: FakeSlack, whmcs: FakeWhmcs, whmcs_settings: WhmcsSettings
) -> None:
    clients = range(101, 141)
    for client in clients:
        whmcs.set_credits(client, ENTRIES)
    whmcs.hold()  # WHMCS answers nobody until every command is acknowledged
    settings = whmcs_settings.model_copy(update={"whmcs_timeout": 10})
    with running_bot(slack, settings, credits_rate_limit=100) as bot:
        with ThreadPoolExecutor(40) as pool:
            replies = list(pool.map(lambda client: bot.command(str(client)), clients))
        assert all(reply.status == 200 for reply in replies)
        assert max(reply.seconds for reply in replies) < 3
        whmcs.release()
        answers = [bot.answer(reply, timeout=20) for reply in replies]
    assert all(f"Credits of client #{n}" in all_text(a) for n, a in zip(clients, answers, strict=True))
    assert len(whmcs.actions("GetCredits")) == 40
