"""Command line: `lookup` a credit log without Slack, `serve` the Slack app over HTTP or `socket` Mode, and
`check` that the settings, Slack and WHMCS are ready for it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from bot import settings as config
from bot.app.lookups import Choices, Lookups
from bot.core.blocks import AdminLinks, credit_log_message
from bot.core.commands import (
    MAX_CLIENT_ID,
    ClientQuery,
    Invalid,
    parse_client,
    parse_client_id,
    parse_filters,
)
from bot.core.credits import Filters
from bot.core.csv_export import credit_log_csv
from bot.core.errors import WhmcsError
from bot.core.table import sendable, with_table
from bot.core.text_output import log_as_json, log_as_table
from bot.core.views import PAGE_SIZE
from bot.settings import ConfigurationError, WhmcsSettings
from bot.whmcs.client import WhmcsClient
from bot.whmcs.demo import DEMO_SETTINGS, demo_transport
from bot.whmcs.transport import HttpTransport

BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"


def _client(text: str) -> ClientQuery:
    query = parse_client(text)
    if isinstance(query, Invalid):
        raise argparse.ArgumentTypeError(f"{query.problem} (give an id like 42 or #42, an email, or a name)")
    return query


def _client_id(text: str) -> int:
    client_id = parse_client_id(text)
    if client_id is None:
        raise argparse.ArgumentTypeError(
            f"a client id is a number from 1 to {MAX_CLIENT_ID:,}, like 42 or #42"
        )
    return client_id


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="credits-bot", description="WHMCS credit logs in Slack.")
    commands = parser.add_subparsers(dest="command", required=True)

    lookup = commands.add_parser("lookup", help="print a client's credit log")
    lookup.add_argument("client", type=_client, help="42, #42, jane@example.com, or a name to search for")
    # Kept as text for parse_filters: argparse's own conversions accept forms the Slack command refuses.
    lookup.add_argument("--since", help="only entries on or after YYYY-MM-DD")
    lookup.add_argument("--until", help="only entries on or before YYYY-MM-DD")
    lookup.add_argument("--last", help="only the newest N entries (after the date filters)")
    lookup.add_argument("--demo", action="store_true", help="use the bundled sample data, not WHMCS")
    output = lookup.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")
    output.add_argument("--csv", action="store_true", help="print CSV, as the Export CSV button sends it")
    output.add_argument("--blocks", action="store_true", help="print the Slack message the bot would send")

    serve = commands.add_parser("serve", help="serve /credits over HTTP (gunicorn, as the Procfile does)")
    serve.add_argument("--demo", action="store_true", help="answer from the bundled sample data, not WHMCS")

    socket = commands.add_parser("socket", help="serve /credits over Socket Mode (needs SLACK_APP_TOKEN)")
    socket.add_argument("--demo", action="store_true", help="answer from the bundled sample data, not WHMCS")

    check = commands.add_parser("check", help="check the settings, Slack and WHMCS; exit 1 if anything fails")
    check.add_argument(
        "--client", type=_client_id, help="look up this client in WHMCS (default: no one's data)"
    )
    check.add_argument(
        "--force",
        action="store_true",
        help="log in to WHMCS even while the bot pauses after refused logins (once they are fixed)",
    )
    return parser


def filters_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Filters:
    """The same rules as the Slack command's filter words."""
    words = []
    for name in ("since", "until", "last"):
        value = getattr(args, name)
        if value is not None:
            words += [name, value]
    filters = parse_filters(words)
    if isinstance(filters, Invalid):
        parser.error(filters.problem)
    return filters


def run_lookup(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    filters = filters_of(parser, args)
    settings = DEMO_SETTINGS if args.demo else config.load(WhmcsSettings)
    whmcs = WhmcsClient(demo_transport if args.demo else HttpTransport(settings))
    with ThreadPoolExecutor(2) as side_calls:
        lookups = Lookups(whmcs, side_calls, whmcs_timeout=settings.whmcs_timeout)
        try:
            resolved = lookups.resolve(args.client)
            if isinstance(resolved, Choices):
                return print_choices(resolved)
            view = lookups.credit_view(resolved, filters)
        except WhmcsError as error:
            print(f"credits-bot: {error}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps(log_as_json(view), indent=2, ensure_ascii=False))
    elif args.csv:
        sys.stdout.write(credit_log_csv(view.shown))
    elif args.blocks:
        links = AdminLinks(settings.admin_base)
        message = credit_log_message(view, links, allow_share=True)
        page = view.shown.entries[view.offset : view.offset + PAGE_SIZE]
        tabled = with_table(message, page, view, links)
        print(json.dumps(sendable(tabled), indent=2, ensure_ascii=False))
        preview = json.dumps({"blocks": message["blocks"]}, separators=(",", ":"), ensure_ascii=False)
        print(f"\nPreview: {BLOCK_KIT_BUILDER}{quote(preview, safe='')}")
        if tabled is not message:
            print("\nFallback, sent when Slack refuses the table (the preview above shows it):")
            print(json.dumps(message, indent=2, ensure_ascii=False))
    else:
        print(log_as_table(view))
    return 0


def print_choices(choices: Choices) -> int:
    if not choices.matches:
        print(f"credits-bot: no client matches '{choices.query}'", file=sys.stderr)
        return 1
    print(
        f"credits-bot: {choices.total} clients match '{choices.query}'; look one up by its id:",
        file=sys.stderr,
    )
    for match in choices.matches:
        company = f" ({match.companyname})" if match.companyname else ""
        print(f"  #{match.id}  {match.name}{company}  {match.email}  {match.status}", file=sys.stderr)
    if choices.total > len(choices.matches):
        print(f"  and {choices.total - len(choices.matches)} more: refine your search", file=sys.stderr)
    return 1


def run_serve(args: argparse.Namespace) -> int:
    """Run gunicorn exactly as the Procfile does, so local runs and Heroku behave the same."""
    factory = (
        "bot.serve.wsgi:create_application(demo=True)" if args.demo else "bot.serve.wsgi:create_application()"
    )
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:bot.serve.gunicorn_config", factory]
    os.execv(sys.executable, argv)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return run_serve(args)
        if args.command == "socket":
            from bot.serve import (
                socket_mode,  # Bolt and the Slack clients load only for the commands that use them
            )

            return socket_mode.run(args.demo)
        if args.command == "check":
            from bot import check

            return check.main(args.client, force=args.force)
        return run_lookup(parser, args)
    except ConfigurationError as error:
        config.exit_with(error)


if __name__ == "__main__":
    sys.exit(main())
