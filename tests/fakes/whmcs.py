"""A loopback WHMCS: POST /includes/api.php with form fields, JSON replies shaped like a live WHMCS 8.

Replies are encoded as WHMCS's `json_encode` writes them (`<`, `>`, `&`, `'`, `"` inside strings as
`\u003c`, `\u003e`, `\u0026`, `\u0027`, `\u0022`), and a search is matched against text stored the way
WHMCS stores input, HTML-escaped (issue 12 §7). `php_output` is what PHP prints before every reply on an
install with `display_errors` on (issue 12 §1). A reply can also come the ways a hostile or broken server
sends it (issue 13 §1, §2): trickled a byte at a time after prompt headers, as a chunked body that never
ends, or gzip-encoded (`Content-Encoding: gzip`, which requests asks for by default).
"""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.loopback import LoopbackServer, QuietHandler

IDENTIFIER = "fake-identifier-1d2c"
SECRET = "fake-secret-9f8e7d"
ACCESS_KEY = "fake-access-key-5a4b"
HOLD_LIMIT_SECONDS = 30
BAN_WINDOW_SECONDS = 30 * 60.0
BAN_SECONDS = 15 * 60.0
BANNED = "IP Banned"
"""How the fake words a ban. WHMCS's API reference does not list the message; the bot reads any error that
says "banned" as a ban (bot.core.whmcs_replies)."""


@dataclass
class Reply:
    """What the fake sends back: a JSON-able object, or raw text/bytes (HTML pages, truncated JSON).

    `gate`, when given, holds this one answer back until the test sets it (at most HOLD_LIMIT_SECONDS).
    `trickle` sends the body one byte every that many seconds after the headers (a server stuck writing,
    or a slowloris in reverse); `chunks`, when given, is sent instead of the body with
    `Transfer-Encoding: chunked`, for as long as it yields (an endless generator: a body that never ends);
    `gzip` sends the body compressed with `Content-Encoding: gzip`, as a web server configured to compress
    PHP's output does.
    """

    body: Any
    status: int = 200
    delay: float = 0.0
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    gate: threading.Event | None = None
    trickle: float = 0.0
    chunks: Callable[[], Iterator[bytes]] | None = None
    gzip: bool = False

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return php_json(self.body).encode()


BACKSLASHES_AND_QUOTE = re.compile(r'(\\+)"')


def _hex_quote(match: re.Match[str]) -> str:
    """An odd run of backslashes before a quote ends in the one json.dumps wrote to escape a quote inside a
    string; an even run is escaped backslashes, and the quote the string's own end."""
    run = match.group(1)
    return run[:-1] + "\\u0022" if len(run) % 2 else match.group(0)


def php_json(value: Any) -> str:
    """JSON as WHMCS's json_encode writes it: with JSON_HEX_TAG, _AMP, _APOS and _QUOT, and non-ASCII
    characters as \\uXXXX (PHP's default). Decimals become strings, as WHMCS sends amounts.

    Written by json.dumps in one go, then escaped: `<`, `>`, `&` and `'` only ever appear inside strings,
    and quotes inside strings are told from the strings' own by the backslashes before them. A log of
    200,000 entries encodes in about a second (a call per value took 7 s: the suite's costliest part)."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    for char, code in (("<", "003C"), (">", "003E"), ("&", "0026"), ("'", "0027")):
        text = text.replace(char, f"\\u{code}")
    return BACKSLASHES_AND_QUOTE.sub(_hex_quote, text) if '\\"' in text else text


def whmcs_stored(text: str) -> str:
    """Text as WHMCS stores what was typed into it: HTML-escaped, quotes included (`&#039;`, `&quot;`)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#039;")):
        text = text.replace(char, entity)
    return text


def php_truthy(value: str | None) -> bool:
    """How WHMCS reads a flag: PHP's truthiness, where only "" and "0" are false, so "false" is true."""
    return value not in (None, "", "0")


def error(message: str, status: int = 200) -> Reply:
    return Reply({"result": "error", "message": message}, status=status)


def credits_reply(client_id: int, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The nested shape a live WHMCS 7/8 sends, integer ids and two-decimal string amounts."""
    return {
        "result": "success",
        "totalresults": len(entries),
        "clientid": client_id,
        "credits": {"credit": entries},
    }


def flattened(reply: dict[str, Any]) -> dict[str, str]:
    """The documentation's shape: every key flattened with brackets, every value a string."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}[{key}]" if prefix else str(key), item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            flat[prefix] = str(value)

    walk("", reply)
    return flat


USD = {"id": 1, "code": "USD", "prefix": "$", "suffix": " USD", "format": 2, "rate": "1.00000"}


def client(
    client_id: int,
    first: str = "Jane",
    last: str = "Doe",
    company: str = "Acme Ltd",
    email: str = "jane@example.com",
    status: str = "Active",
    credit: str = "0.00",
    currency: int = 1,
    code: str = "USD",
) -> dict[str, Any]:
    """A client as GetClientsDetails describes it (WHMCS repeats these fields at the top level)."""
    return {
        "id": client_id,
        "userid": client_id,
        "firstname": first,
        "lastname": last,
        "companyname": company,
        "email": email,
        "status": status,
        "credit": credit,
        "currency": currency,
        "currency_code": code,
    }


NO_INVOICES: dict[str, Any] = {
    "numdueinvoices": "0",
    "dueinvoicesbalance": "$0.00 USD",
    "income": "$0.00 USD",
    "incredit": "",
    "creditbalance": "$0.00 USD",
    "numoverdueinvoices": "0",
    "overdueinvoicesbalance": "$0.00 USD",
    "numunpaidinvoices": "0",
    "unpaidinvoicesamount": "$0.00 USD",
    "productsnumactive": "0",
    "numtickets": "0",
}
"""Part of GetClientsDetails `stats` (WHMCS/developer-docs, api-reference/getclientsdetails.md, "Example
Response JSON"): counts as strings, balances already written in the client's currency, `$2645.80 USD`."""


def invoices(
    due: int, due_balance: str, overdue: int = 0, overdue_balance: str = "$0.00 USD"
) -> dict[str, Any]:
    """The invoice fields of `stats` for `FakeWhmcs.invoice_stats`, in the documentation's form."""
    return {
        "numdueinvoices": str(due),
        "dueinvoicesbalance": due_balance,
        "numunpaidinvoices": str(due),
        "unpaidinvoicesamount": due_balance,
        "numoverdueinvoices": str(overdue),
        "overdueinvoicesbalance": overdue_balance,
    }


def entry(entry_id: int, day: str, description: str, amount: str | Decimal, relid: int = 0) -> dict[str, Any]:
    return {"id": entry_id, "date": day, "description": description, "amount": str(amount), "relid": relid}


@dataclass
class FakeWhmcs(LoopbackServer):
    """Answers GetCredits from `credits`, GetClientsDetails and GetClients from `clients`, GetCurrencies
    from `currencies`; `queue` replies to send next, in order. Actions in `denied_actions` are refused as
    an API role without them would.

    Every request's form fields are recorded in `calls`, exactly as received. `latency` delays every
    answer (a slow server, as seen from the client: real time passes). `hold()` keeps every answer back until
    `release()`, so a test can act while WHMCS has not answered, without guessing how long that takes; a hold
    ends by itself after HOLD_LIMIT_SECONDS, so a test that forgets to release fails instead of hanging.
    Flags are read as WHMCS reads them (`php_truthy`): GetClientsDetails computes its statistics, counted in
    `stats_computed`, for any `stats` but "" and "0"; `invoice_stats[client]` overrides the zeros of
    `NO_INVOICES` (see `invoices()`).

    It accepts `identifier` and `secret` (change `secret` to make the bot's credentials wrong). Each refused
    login is timed by `clock` into `refused_logins`; with `bans_after` set, that many refused logins within
    BAN_WINDOW_SECONDS ban the caller's IP for BAN_SECONDS, as WHMCS does by default (3 failed logins, a
    15-minute ban: docs.whmcs.com, Security/Ban Control), and every call meanwhile answers BANNED.
    """

    credits: dict[int, Any] = field(default_factory=dict)
    clients: dict[int, dict[str, Any]] = field(default_factory=dict)
    currencies: list[dict[str, Any]] = field(default_factory=lambda: [USD])
    denied_actions: set[str] = field(default_factory=set)
    in_flight: int = 0
    most_in_flight: int = 0
    queued: list[tuple[str | None, Reply]] = field(default_factory=list)
    calls: list[dict[str, str]] = field(default_factory=list)
    latency: float = 0.0
    php_output: str = ""
    stats_computed: int = 0
    identifier: str = IDENTIFIER
    secret: str = SECRET
    bans_after: int | None = None
    clock: Callable[[], float] = time.monotonic
    refused_logins: list[float] = field(default_factory=list)
    banned_until: float | None = None
    invoice_stats: dict[int, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    gate: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.handler_class = _Handler
        self.gate.set()

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def wait_for_calls(self, count: int, action: str | None = None, timeout: float = 10) -> int:
        """How many calls (of `action`, or of any) have arrived, once there are `count` or by `timeout`."""

        def arrived() -> int:
            return len(self.calls if action is None else self.actions(action))

        with self.arrived:
            self.arrived.wait_for(lambda: arrived() >= count, timeout)
            return arrived()

    def __hash__(self) -> int:
        return id(self)

    def set_credits(self, client_id: int, entries: list[dict[str, Any]]) -> None:
        self.credits[client_id] = credits_reply(client_id, entries)

    def queue(self, *replies: Reply, action: str | None = "GetCredits") -> None:
        """Send these replies, in order, to the next calls of `action` (None: of any action)."""
        with self.lock:
            self.queued.extend((action, reply) for reply in replies)

    def actions(self, name: str) -> list[dict[str, str]]:
        return [call for call in self.calls if call.get("action") == name]

    def answer(self, fields: dict[str, str]) -> Reply:
        with self.arrived:
            self.calls.append(fields)
            self.arrived.notify_all()
        with self.lock:
            for position, (action, reply) in enumerate(self.queued):
                if action in (None, fields.get("action")):
                    del self.queued[position]
                    return reply
        if self.banned_until is not None and self.clock() < self.banned_until:
            return error(BANNED, status=403)
        if fields.get("identifier") != self.identifier or fields.get("secret") != self.secret:
            return self.refuse_login()
        if fields.get("responsetype") != "json":
            return Reply(
                '<?xml version="1.0"?><whmcsapi><result>success</result></whmcsapi>', content_type="text/xml"
            )
        action = fields.get("action", "")
        if action in self.denied_actions or action not in _ACTIONS:
            return error(f'Invalid Permissions: API action "{action.lower()}" is not allowed', status=403)
        return _ACTIONS[action](self, fields)

    @property
    def ever_banned(self) -> bool:
        return self.banned_until is not None

    def refuse_login(self) -> Reply:
        now = self.clock()
        with self.lock:
            self.refused_logins.append(now)
            recent = [moment for moment in self.refused_logins if now - moment < BAN_WINDOW_SECONDS]
            if self.bans_after is not None and len(recent) >= self.bans_after:
                self.banned_until = now + BAN_SECONDS
        return error("Authentication Failed", status=403)

    def get_credits(self, fields: dict[str, str]) -> Reply:
        client_id = int(fields.get("clientid", "0"))
        if client_id in self.credits:
            return Reply(self.credits[client_id])
        return error("Client ID Not Found")

    def get_clients_details(self, fields: dict[str, str]) -> Reply:
        if "email" in fields:
            found = [c for c in self.clients.values() if c["email"] == fields["email"]]
        else:
            found = [c for cid, c in self.clients.items() if str(cid) == fields.get("clientid")]
        if not found:
            return error("Client Not Found")
        reply = {"result": "success", **found[0], "client": found[0]}
        if php_truthy(fields.get("stats")):
            with self.lock:
                self.stats_computed += 1
            reply["stats"] = {**NO_INVOICES, **self.invoice_stats.get(int(found[0]["id"]), {})}
        return Reply(reply)

    def get_clients(self, fields: dict[str, str]) -> Reply:
        """WHMCS's search: the start of email, first name, last name, company or "first last", compared
        with the search escaped as WHMCS escapes all input, since the stored text is escaped too.

        The shape is WHMCS/developer-docs api-reference/getclients.md ("Example Response JSON", nested as a
        live WHMCS 8 sends it): `totalresults` counts every match, `clients.client` lists at most
        `limitnum` (default 25) with id, names, company, email, datecreated, groupid and status; no
        `clients` key when nothing matches. The picker (issue 14) asks with `limitnum=20`."""
        needle = whmcs_stored(fields.get("search", "")).lower()
        found = [
            c
            for c in self.clients.values()
            if any(
                str(value).lower().startswith(needle)
                for value in (
                    c["email"],
                    c["firstname"],
                    c["lastname"],
                    c["companyname"],
                    f"{c['firstname']} {c['lastname']}",
                )
            )
        ]
        limit = int(fields.get("limitnum", "25"))
        reply: dict[str, Any] = {
            "result": "success",
            "totalresults": len(found),
            "startnumber": 0,
            "numreturned": min(limit, len(found)),
        }
        if found:
            reply["clients"] = {
                "client": [
                    {key: c[key] for key in ("id", "firstname", "lastname", "companyname", "email", "status")}
                    | {"datecreated": "2020-01-01", "groupid": 0}
                    for c in found[:limit]
                ]
            }
        return Reply(reply)

    def get_currencies(self, fields: dict[str, str]) -> Reply:
        return Reply(
            {
                "result": "success",
                "totalresults": len(self.currencies),
                "currencies": {"currency": self.currencies},
            }
        )


_ACTIONS: dict[str, Callable[[FakeWhmcs, dict[str, str]], Reply]] = {
    "GetCredits": FakeWhmcs.get_credits,
    "GetClientsDetails": FakeWhmcs.get_clients_details,
    "GetClients": FakeWhmcs.get_clients,
    "GetCurrencies": FakeWhmcs.get_currencies,
}


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeWhmcs = self.server.owner  # type: ignore[attr-defined]
        if self.path != "/includes/api.php":
            self.send(404, b"<html>Not Found</html>", "text/html")
            return
        form = {key: values[0] for key, values in parse_qs(self.read_body().decode()).items()}
        reply = owner.answer(form)
        delay = reply.delay or owner.latency
        with owner.lock:
            owner.in_flight += 1
            owner.most_in_flight = max(owner.most_in_flight, owner.in_flight)
        owner.gate.wait(HOLD_LIMIT_SECONDS)
        if reply.gate is not None:
            reply.gate.wait(HOLD_LIMIT_SECONDS)
        if delay:
            time.sleep(delay)
        with owner.lock:
            owner.in_flight -= 1
        body, content_type = reply.encoded(), reply.content_type
        if owner.php_output:  # PHP prints its messages first, and its default Content-Type is text/html
            body, content_type = owner.php_output.encode() + body, "text/html; charset=utf-8"
        try:
            if reply.chunks is not None:
                self.send_chunked(reply.status, reply.chunks(), content_type, reply.headers)
            elif reply.trickle:
                self.send_trickled(reply.status, body, content_type, reply.trickle)
            elif reply.gzip:
                self.send(reply.status, gzip.compress(body), content_type, {"Content-Encoding": "gzip"})
            else:
                self.send(reply.status, body, content_type, reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            return

    def send_chunked(
        self, status: int, chunks: Iterator[bytes], content_type: str, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        for chunk in chunks:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def send_trickled(self, status: int, body: bytes, content_type: str, pause: float) -> None:
        """Prompt headers, then the body a byte at a time: each read on the other side gets a byte well
        within any per-read timeout, so only a deadline on the whole call ends it."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.flush()
        for byte in body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(pause)
