"""Command line: `lookup` a credit log without Slack, `serve` the Slack app over HTTP or `socket` Mode, and
`check` that the settings, Slack and WHMCS are ready for it."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from urllib.parse import quote

from bot import settings as config
from bot.blocks import credit_log_message
from bot.commands import parse_client_id
from bot.demo import DEMO_SETTINGS, demo_transport
from bot.settings import MAX_CLIENT_ID, ConfigurationError, WhmcsSettings
from bot.text_output import log_as_json, log_as_table
from bot.whmcs import HttpTransport, WhmcsClient
from bot.whmcs_replies import WhmcsError


def _client_id(text: str) -> int:
    client_id = parse_client_id(text)
    if client_id is None:
        raise argparse.ArgumentTypeError(f"a client id is a number from 1 to {MAX_CLIENT_ID}, like 42 or #42")
    return client_id


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="credits-bot", description="WHMCS credit logs in Slack.")
    commands = parser.add_subparsers(dest="command", required=True)

    lookup = commands.add_parser("lookup", help="print a client's credit log")
    lookup.add_argument("client", type=_client_id, help="WHMCS client id, e.g. 42 or #42")
    lookup.add_argument("--demo", action="store_true", help="use the bundled sample data, not WHMCS")
    output = lookup.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON (amounts as strings)")
    output.add_argument("--blocks", action="store_true", help="print the Slack message the bot would send")

    serve = commands.add_parser("serve", help="serve /credits over HTTP (gunicorn, as the Procfile does)")
    serve.add_argument("--demo", action="store_true", help="answer from the bundled sample data, not WHMCS")

    socket = commands.add_parser("socket", help="serve /credits over Socket Mode (needs SLACK_APP_TOKEN)")
    socket.add_argument("--demo", action="store_true", help="answer from the bundled sample data, not WHMCS")

    check = commands.add_parser("check", help="check the settings, Slack and WHMCS; exit 1 if anything fails")
    check.add_argument(
        "--client", type=_client_id, help="look up this client in WHMCS (default: no one's data)"
    )
    return parser


BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#"


def run_lookup(args: argparse.Namespace) -> int:
    settings = DEMO_SETTINGS if args.demo else config.load(WhmcsSettings)
    client = WhmcsClient(demo_transport if args.demo else HttpTransport(settings))
    try:
        log = client.get_credits(args.client)
    except WhmcsError as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(log_as_json(log), indent=2, ensure_ascii=False))
    elif args.blocks:
        message = credit_log_message(
            log, lambda invoice: settings.admin_url(f"invoices.php?action=edit&id={invoice}")
        )
        print(json.dumps(message, indent=2, ensure_ascii=False))
        preview = json.dumps({"blocks": message["blocks"]}, separators=(",", ":"), ensure_ascii=False)
        print(f"\nPreview: {BLOCK_KIT_BUILDER}{quote(preview, safe='')}")
    else:
        print(log_as_table(log))
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Run gunicorn exactly as the Procfile does, so local runs and Heroku behave the same."""
    factory = "bot.web:create_application(demo=True)" if args.demo else "bot.web:create_application()"
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_config", factory]
    os.execv(sys.executable, argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return run_serve(args)
        if args.command == "socket":
            from bot import socket_mode  # Bolt and the Slack clients load only for the commands that use them

            return socket_mode.run(args.demo)
        if args.command == "check":
            from bot import check

            return check.main(args.client)
        return run_lookup(args)
    except ConfigurationError as error:
        config.exit_with(error)


if __name__ == "__main__":
    sys.exit(main())
