"""Command line: `lookup` a credit log without Slack, `serve` the Slack app."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from bot import settings as config
from bot.commands import parse_client_id
from bot.demo import demo_transport
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
    return parser


def whmcs_client(demo: bool) -> WhmcsClient:
    if demo:
        return WhmcsClient(demo_transport)
    return WhmcsClient(HttpTransport(config.load(WhmcsSettings)))


def run_lookup(args: argparse.Namespace) -> int:
    client = whmcs_client(args.demo)
    try:
        log = client.get_credits(args.client)
    except WhmcsError as error:
        print(f"credits-bot: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(log_as_json(log), indent=2, ensure_ascii=False))
    else:
        print(log_as_table(log))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_lookup(args)
    except ConfigurationError as error:
        config.exit_with(error)


if __name__ == "__main__":
    sys.exit(main())
