"""Reply bodies shaped as live WHMCS installs send them (issue 12), each with where its shape comes from.

Used by the parser tests (tests/core/test_live_whmcs_shapes.py) and end to end through the signed Slack path
(tests/app/test_live_whmcs_shapes.py). `CLIENT` is the client every GetCredits body here belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.fakes.whmcs import client, credits_reply, entry, php_json, whmcs_stored

CLIENT = 42
PHP_PATH = "/home/billing/public_html/vendor/whmcs/whmcs-foundation/lib/Module/AbstractModule.php"

DEPRECATED_HTML = (
    "<br />\n<b>Deprecated</b>:  Creation of dynamic property WHMCS\\Module\\Gateway::$legacy is "
    f"deprecated in <b>{PHP_PATH}</b> on line <b>88</b><br />\n"
)
"""PHP 8.2's dynamic-property deprecation as PHP prints it with display_errors and html_errors on (php-src
main.c, php_error_cb): `<br />`, the kind in <b>, two spaces, the file and line in <b>."""
WARNING_HTML = (
    "<br />\n<b>Warning</b>:  Undefined array key &quot;currency&quot; in "
    "<b>/home/billing/public_html/includes/clientfunctions.php</b> on line <b>412</b><br />\n"
)
"""PHP 8's undefined-key warning, html_errors on (PHP escapes the message's quotes as &quot;)."""
NOTICE = "Notice: Only variables should be passed by reference in /var/www/whmcs/init.php on line 3"
NOTICE_TEXT = f"\n{NOTICE}\n"
"""The same message with html_errors off (php-fpm pools configured for the command line style)."""
PREFIXED = "strftime() is deprecated in /var/www/whmcs/includes/functions.php on line 9"
PHP_PREFIXED = f"PHP Deprecated:  {PREFIXED}\n"
"""With display_errors=stderr under CGI, PHP writes the `PHP ` prefix, as it does for its log."""


def whmcs_body(reply: dict[str, Any]) -> str:
    """A body exactly as WHMCS writes it: json_encode with its HEX flags."""
    return php_json(reply)


def credits_body(*entries: dict[str, Any]) -> str:
    return whmcs_body(credits_reply(CLIENT, list(entries)))


TWO_ENTRIES = (
    entry(1, "2024-03-01", "Prepaid top-up", "100.10"),
    entry(2, "2024-03-05", "Credit Applied to Invoice #88", "-40.05"),
)


@dataclass(frozen=True)
class Shape:
    """One body as a live WHMCS sends it; `json` is False for a body that is not a WHMCS reply at all."""

    name: str
    note: str
    body: str
    content_type: str = "text/html; charset=utf-8"
    json: bool = True
    php_message: str | None = None


WRAPPED = [
    Shape(
        "deprecated_before_json",
        "PHP 8.2 on WHMCS 8.x with display_errors on: a deprecation printed before the JSON",
        DEPRECATED_HTML + credits_body(*TWO_ENTRIES),
        php_message=(
            "Deprecated: Creation of dynamic property WHMCS\\Module\\Gateway::$legacy is deprecated in "
            f"{PHP_PATH} on line 88"
        ),
    ),
    Shape(
        "warnings_before_and_after_json",
        "a warning before the JSON and another from a shutdown function after it (hooks run at exit)",
        DEPRECATED_HTML + WARNING_HTML + credits_body(*TWO_ENTRIES) + WARNING_HTML,
        php_message=(
            "Deprecated: Creation of dynamic property WHMCS\\Module\\Gateway::$legacy is deprecated in "
            f"{PHP_PATH} on line 88"
        ),
    ),
    Shape(
        "plain_text_notice",
        "html_errors off: the message as a plain line, before and after the JSON",
        NOTICE_TEXT + credits_body(*TWO_ENTRIES) + NOTICE_TEXT,
        php_message=NOTICE,
    ),
    Shape(
        "php_prefixed_line",
        "display_errors=stderr merged into the body by a CGI wrapper: `PHP Deprecated:`",
        PHP_PREFIXED + credits_body(*TWO_ENTRIES),
        php_message=f"PHP Deprecated: {PREFIXED}",
    ),
]

NOT_WHMCS = [
    Shape(
        "fatal_error_without_json",
        "a PHP fatal error stops WHMCS before it writes any JSON",
        "<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined function mysql_connect() in "
        "<b>/var/www/whmcs/init.php</b> on line <b>5</b><br />\n",
        json=False,
    ),
    Shape(
        "json_in_a_login_page",
        "a hosting panel's login page in front of WHMCS, its script holding a JSON object",
        '<html><head><script>var config = {"result": "success"};</script></head><body>Log in</body></html>',
        json=False,
    ),
    Shape(
        "warning_then_an_error_page",
        "a PHP warning, then an HTML error page that contains a JSON object",
        WARNING_HTML + '<html><body><pre>{"result":"success","credits":[]}</pre></body></html>',
        json=False,
    ),
]

# The descriptions WHMCS writes into tblcredit itself (WHMCS 8 includes/invoicefunctions.php and
# WHMCS\Billing\Invoice, as published): the invoice each names, and whether the bot links it.
WHMCS_DESCRIPTIONS = [
    ("Credit Applied to Invoice #88", 0, 88, "applyCredit(): credit used to pay an invoice"),
    ("Credit from Refund of Invoice ID 77", 0, 77, "refundInvoicePayment() to credit: relid stays 0"),
    ("Credit Removed on deletion of Invoice #66", 0, None, "removeCreditOnInvoiceDelete(): no invoice left"),
    ("Invoice #55 Overpayment", 55, 55, "Invoice::addPayment(): the excess of a payment, relid set"),
    ("Removal of Credit from Invoice #44", 44, 44, "removeOverpaymentCredit(): an overpayment refunded"),
    ("Add Funds Invoice #33", 0, 33, "processPaidInvoice(): an Add Funds invoice paid"),
    ("Mass Invoice Payment Credit for Invoice #22", 0, 22, "processPaidInvoice(): a mass payment"),
    (
        "Credit Removed - Reason: Order status changed to Fraud - Invoice #11",
        0,
        11,
        "refundCreditOnStatusChange(): the invoice stays, marked Fraud",
    ),
    ("Reversed Transaction ID: ch_3Nk", 0, None, "reversePaymentActions(): a chargeback, no invoice named"),
]

ZERO_DATE = entry(7, "0000-00-00", "Goodwill credit", "5.00")
"""MySQL without strict mode stores 0000-00-00 for a date typed in another format; WHMCS returns it as is."""
UNREADABLE_AMOUNT = {
    "id": 8,
    "date": "2024-03-02",
    "description": "Imported balance",
    "amount": None,
    "relid": 0,
}
"""A row edited in the database by hand: an amount NULL (WHMCS sends null)."""

STRING_IDS = {
    "result": "success",
    "totalresults": "2",
    "clientid": str(CLIENT),
    "credits": {
        "credit": [
            {
                "id": "1",
                "date": "2024-03-01",
                "description": "Prepaid top-up",
                "amount": "100.10",
                "relid": "0",
            },
            {
                "id": "2",
                "date": "2024-03-05",
                "description": "Credit Applied to Invoice #88",
                "amount": "-40.05",
                "relid": "0",
            },
        ]
    },
}
"""PHP before 8.1: PDO returns every column as a string, ids included."""

TYPED = {
    "first": "Seán",
    "last": "O'Brien",
    "company": 'Smith & Sons "Gold" <Ltd>',
    "email": "o'brien+billing@example.com",
    "description": "Refund & goodwill for O'Brien's \"outage\" <b>",
}
"""What staff typed into WHMCS; stored HTML-escaped (`whmcs_stored`) and sent through json_encode."""


def escaped_client(client_id: int = CLIENT) -> dict[str, Any]:
    """A client as GetClientsDetails describes one whose fields were typed with &, ', ", < and >."""
    return client(
        client_id,
        first=whmcs_stored(TYPED["first"]),
        last=whmcs_stored(TYPED["last"]),
        company=whmcs_stored(TYPED["company"]),
        email=whmcs_stored(TYPED["email"]),
    )


ESCAPED_ENTRY = entry(9, "2024-03-03", whmcs_stored(TYPED["description"]), "1.00")
