"""What one call to Slack costs, with a new connection per call against a kept-alive pool.

An answer through a response_url (Bolt's per-call webhook client against the bot's pooled session), and
for reference a Web API call through slack_sdk's WebClient, which opens a connection per call. All go
to the loopback Slack, over plain HTTP and over TLS with
a throwaway self-signed certificate (Slack is https, so every new connection costs a TLS handshake).

    python -m benchmarks.respond [--posts 300]
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack.responses import ResponseUrlPoster
from tests.fakes.slack import BOT_TOKEN, FakeSlack

MESSAGE = {
    "text": "Credits of client #42: 2 entries, total 60.05",
    "response_type": "ephemeral",
    "replace_original": True,
}


def timed(post: Callable[[], object], posts: int) -> list[float]:
    samples = []
    for _ in range(posts):
        started = time.perf_counter()
        post()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def self_signed(folder: Path) -> tuple[Path, Path]:
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
    )
    return certificate, key


def measure(slack: FakeSlack, posts: int, ca_bundle: str | None) -> dict[str, list[float]]:
    url = slack.response_url("bench")
    client_tls = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else None
    if ca_bundle:
        os.environ["REQUESTS_CA_BUNDLE"] = ca_bundle  # the poster trusts the bundle the environment names
    poster = ResponseUrlPoster(pool_size=4)
    stock = WebClient(token=BOT_TOKEN, base_url=slack.api_url, ssl=client_tls)
    return {
        "answer: Bolt respond(), a new WebhookClient per answer": timed(
            lambda: WebhookClient(url, ssl=client_tls).send_dict(MESSAGE), posts
        ),
        "answer: pooled requests.Session (keep-alive)": timed(lambda: poster(url, MESSAGE), posts),
        "Web API: slack_sdk WebClient (urlopen per call)": timed(lambda: stock.auth_test(), posts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Cost of one call to Slack, per connection or pooled")
    parser.add_argument("--posts", type=int, default=300)
    args = parser.parse_args()
    print(f"{args.posts} calls each to a loopback Slack\n")
    print("| transport | how | median ms | p99 ms |")
    print("|---|---|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        certificate, key = self_signed(Path(folder))
        server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_tls.load_cert_chain(certificate, key)
        for transport, tls in (("http", None), ("https", server_tls)):
            slack = FakeSlack()
            slack.tls = tls
            with slack:
                rows = measure(slack, args.posts, str(certificate) if tls else None)
            for name, samples in rows.items():
                ordered = sorted(samples)
                p99 = ordered[int(0.99 * (len(ordered) - 1))]
                print(f"| {transport} | {name} | {statistics.median(samples):.2f} | {p99:.2f} |")


if __name__ == "__main__":
    main()
