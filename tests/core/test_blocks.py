"""Rendering answers as Block Kit: who, totals, one page, buttons; WHMCS text shown as text, not markup."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from bot.core.blocks import (
    EXPORT_ACTION,
    NEWER_ACTION,
    OLDER_ACTION,
    SHARE_ACTION,
    SHOW_ACTION,
    AdminLinks,
    balance_warning,
    button,
    client_choices_message,
    client_line,
    credit_log_message,
    link,
    notice,
    summary_message,
)
from bot.core.clients import ClientMatch, Currency, InvoiceStats
from bot.core.commands import SEARCH_LIMIT
from bot.core.credits import NO_FILTERS, CreditEntry, CreditLog, Filters
from bot.core.slack_limits import MAX_BUTTON_TEXT, message_problems
from bot.core.views import PAGE_SIZE, CreditView, ViewRef
from tests.core.people import jane_doe

LINKS = AdminLinks("https://billing.example.com/admin")
USD = Currency(id=1, code="USD", prefix="$", suffix=" USD", format=2)
JANE = jane_doe("15.00")


def log_of(count: int, client_id: int = 42) -> CreditLog:
    return CreditLog.of(
        client_id,
        [
            CreditEntry(n, date(2024, 1, 1 + n % 28), f"Entry {n}", Decimal("1.00"))
            for n in range(1, count + 1)
        ],
    )


def buttons_of(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in message["blocks"]:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def texts(message: dict[str, Any]) -> list[str]:
    found = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [
            item["text"] for item in block.get("fields", []) + block.get("elements", []) if "text" in item
        ]
    return [text if isinstance(text, str) else text["text"] for text in found]


def test_admin_links_and_escaped_labels() -> None:
    assert LINKS.invoice(7) == "https://billing.example.com/admin/invoices.php?action=edit&id=7"
    assert LINKS.client(42) == "https://billing.example.com/admin/clientssummary.php?userid=42"
    assert link("https://x/?a=1&b=2", "<b>") == "<https://x/?a=1&amp;b=2|&lt;b&gt;>"


def test_button_text_is_clipped_and_style_only_when_given() -> None:
    plain = button("x" * 100, "act", "value")
    assert len(plain["text"]["text"]) == MAX_BUTTON_TEXT and "style" not in plain
    assert button("Go", "act", "v", style="primary")["style"] == "primary"


def test_the_client_line_links_the_id_and_names_who_it_is() -> None:
    assert client_line(CreditView(log_of(1), details=JANE), LINKS) == (
        "*Jane Doe (Acme Ltd)* · <https://billing.example.com/admin/clientssummary.php?userid=42|#42>"
        " · jane@example.com · Active"
    )
    assert client_line(CreditView(log_of(1)), LINKS) == (
        "*Client* <https://billing.example.com/admin/clientssummary.php?userid=42|#42>"
    )


def test_the_first_page_shows_totals_entries_newest_first_and_buttons() -> None:
    view = CreditView(log_of(25), details=JANE, currency=USD)
    message = credit_log_message(view, LINKS, allow_share=True)
    assert message_problems(message) == []
    assert message["text"] == "Credits of Jane Doe (Acme Ltd) (#42): 25 entries, total $25.00 USD"
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    assert fields == [
        "*Total*\n`$25.00 USD`",
        "*Entries*\n25",
        "*Credits in*\n`$25.00 USD`",
        "*Credits out*\n`$0.00 USD`",
        "*Balance in WHMCS*\n`$15.00 USD`",
    ]
    assert any(text.startswith(":warning: The log sums to $25.00 USD;") for text in texts(message))
    assert "Showing 20 of 25 entries, newest first." in texts(message)
    entries = [block for block in message["blocks"] if block["type"] == "section"][3:]
    assert len(entries) == PAGE_SIZE
    assert entries[0]["text"]["text"].startswith("`+$1.00 USD`  2024-01-26  Entry 25")
    assert list(buttons_of(message)) == [OLDER_ACTION, EXPORT_ACTION, SHARE_ACTION]
    assert ViewRef.decode(buttons_of(message)[OLDER_ACTION]["value"]) == ViewRef(42, PAGE_SIZE)
    assert ViewRef.decode(buttons_of(message)[EXPORT_ACTION]["value"]) == ViewRef(42, 0)


def test_a_later_page_says_where_it_is_and_leads_back() -> None:
    message = credit_log_message(CreditView(log_of(25), offset=20), LINKS)
    assert "Showing 5 of 25 entries, 21 to 25, newest first." in texts(message)
    assert list(buttons_of(message)) == [NEWER_ACTION, EXPORT_ACTION]
    assert ViewRef.decode(buttons_of(message)[NEWER_ACTION]["value"]) == ViewRef(42, 0)


def test_a_page_past_the_end_says_so() -> None:
    message = credit_log_message(CreditView(log_of(3), offset=40), LINKS)
    assert "No entries past 40." in texts(message)


def test_one_short_page_without_filters_needs_no_page_line() -> None:
    message = credit_log_message(CreditView(log_of(3)), LINKS)
    assert not any(text.startswith("Showing") for text in texts(message))
    assert list(buttons_of(message)) == [EXPORT_ACTION]


def test_filtered_figures_are_labelled_next_to_the_all_time_total() -> None:
    filters = Filters(last=2)
    message = credit_log_message(CreditView(log_of(5), filters), LINKS)
    fields = [field["text"] for field in message["blocks"][1]["fields"]]
    assert fields[0] == "*Total (last 2)*\n`2.00`"
    assert fields[-1] == "*All-time total*\n`5.00` (5 entries)"
    assert "Showing 2 of 2 entries (last 2), newest first." in texts(message)
    assert ViewRef.decode(buttons_of(message)[EXPORT_ACTION]["value"]) == ViewRef(42, 0, filters)


def test_filters_that_keep_nothing_say_so_and_offer_no_export() -> None:
    filters = Filters(until=date(2000, 1, 1))
    message = credit_log_message(CreditView(log_of(5), filters), LINKS)
    assert "No entries until 2000-01-01." in texts(message)
    assert EXPORT_ACTION not in buttons_of(message)


def test_an_empty_log_says_so_with_its_total() -> None:
    message = credit_log_message(CreditView(log_of(0, client_id=3)), LINKS)
    assert message["blocks"][1]["text"]["text"] == "Client #3 has no credit entries. Total: `0.00`"
    assert message["text"] == "Credits of client #3: 0 entries, total 0.00"
    assert "blocks" in message and buttons_of(message) == {}


def test_an_invoice_is_linked_and_notes_are_context_lines() -> None:
    log = CreditLog.of(42, [CreditEntry(1, date(2024, 1, 1), "Overpayment", Decimal("-3.5"), invoice_id=9)])
    message = credit_log_message(CreditView(log, notes=("No currency",)), LINKS)
    entry = message["blocks"][-2]["text"]["text"]
    assert entry == (
        "`-3.50`  2024-01-01  Overpayment  "
        "<https://billing.example.com/admin/invoices.php?action=edit&amp;id=9|Invoice #9>"
    )
    assert {"type": "context", "elements": [{"type": "mrkdwn", "text": "No currency"}]} in message["blocks"]


def test_text_from_whmcs_cannot_ping_or_disguise_a_link() -> None:
    log = CreditLog.of(
        7, [CreditEntry(1, date(2024, 1, 1), "<!channel> <https://evil|bank> & co", Decimal(1))]
    )
    shown = credit_log_message(CreditView(log), LINKS)["blocks"][-2]["text"]["text"]
    assert "&lt;!channel&gt; &lt;https://evil|bank&gt; &amp; co" in shown
    assert "<!channel>" not in shown


def test_long_descriptions_are_clipped() -> None:
    log = CreditLog.of(7, [CreditEntry(1, date(2024, 1, 1), "y" * 1000, Decimal(1))])
    shown = credit_log_message(CreditView(log), LINKS)["blocks"][-2]["text"]["text"]
    assert shown.endswith("y…") and shown.count("y") == 299


def test_the_balance_warning_only_when_the_balance_differs() -> None:
    assert balance_warning(CreditView(log_of(2))) is None
    assert balance_warning(CreditView(log_of(15), details=JANE)) is None
    assert balance_warning(CreditView(log_of(3), details=JANE, currency=USD)) == (
        ":warning: The log sums to $3.00 USD; WHMCS's balance is $15.00 USD. "
        "Entries may have been edited or removed by hand."
    )


def test_the_shared_summary_has_totals_and_who_shared_it_but_no_entries() -> None:
    view = CreditView(log_of(3), details=JANE, currency=USD)
    message = summary_message(view, LINKS, "U0ALICE")
    assert message_problems(message) == []
    assert message["text"] == "Credit summary of Jane Doe (Acme Ltd) (#42): total $3.00 USD"
    assert message["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Credit summary shared by <@U0ALICE> with /credits"}],
    }
    assert not any("Entry" in text for text in texts(message))
    assert buttons_of(message) == {}


def test_choices_list_at_most_the_search_limit_with_one_button_each() -> None:
    matches = [ClientMatch(n, "Jane", f"Doe{n}", "Acme", f"j{n}@example.com", "Active") for n in range(1, 13)]
    filters = Filters(last=5)
    message = client_choices_message("ja<ne", matches, 30, filters)
    assert message_problems(message) == []
    assert message["text"] == "30 clients match 'ja&lt;ne'"
    assert message["blocks"][0]["text"]["text"] == "30 clients match 'ja&lt;ne'. Pick one:"
    assert message["blocks"][1]["text"]["text"] == "*Jane Doe1* · Acme · j1@example.com · #1 · Active"
    shown = buttons_of(message)
    assert list(shown) == [f"{SHOW_ACTION}_{n}" for n in range(SEARCH_LIMIT)]
    assert ViewRef.decode(shown[f"{SHOW_ACTION}_0"]["value"]) == ViewRef(1, 0, filters)
    assert message["blocks"][-1]["elements"][0]["text"] == "and 20 more: refine your search"


def test_a_notice_is_plain_text() -> None:
    assert notice("Nope.") == {"text": "Nope."}


def test_no_filters_is_the_default_view() -> None:
    assert CreditView(log_of(1)).filters is NO_FILTERS


def test_the_unpaid_invoices_are_in_the_header_linked_to_the_clients_invoice_list() -> None:
    details = replace(JANE, invoices=InvoiceStats(3, "$120.00 USD", 1, "$40.00 USD"))
    message = credit_log_message(CreditView(log_of(2), details=details, currency=USD), LINKS)
    header = message["blocks"][0]["text"]["text"]
    assert header.endswith(
        "\n<https://billing.example.com/admin/clientsinvoices.php?userid=42|"
        "Unpaid: 3 invoices, $120.00 USD · Overdue: 1, $40.00 USD>"
    )
    assert message_problems(message) == []


def test_no_statistics_no_word_about_invoices() -> None:
    message = credit_log_message(CreditView(log_of(2), details=JANE, currency=USD), LINKS)
    assert "nvoices" not in message["blocks"][0]["text"]["text"]
