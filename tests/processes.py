"""Run the Procfile's commands as Heroku would: a subprocess on a free port with the given environment."""

from __future__ import annotations

import itertools
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlack
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs
from tests.slack_harness import ALICE

ROOT = Path(__file__).resolve().parents[1]


def procfile_command(kind: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            return line.removeprefix(f"{kind}:").strip()
    raise AssertionError(f"Procfile has no {kind} line")


PORTS_PER_WORKER = 1500
"""Ports a test may hand a process to listen on come from a block of their own for each pytest-xdist
worker, below Linux's ephemeral range (32768-60999): a port the kernel picked for one worker (`bind` to 0,
or the source port of a connection) and released could otherwise be picked again by another worker, or
taken as a source port, before the process it was meant for listens on it."""
_next_ports: Iterator[int] | None = None


def free_port() -> int:
    """A loopback port nothing listens on now, that no other test worker will hand out."""
    global _next_ports
    if _next_ports is None:
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
        block = range(20000 + worker % 8 * PORTS_PER_WORKER, 20000 + (worker % 8 + 1) * PORTS_PER_WORKER)
        # From a random place in the block, so that two test runs at once rarely meet.
        start = random.randrange(len(block))
        _next_ports = itertools.cycle([*block[start:], *block[:start]])
    for port in itertools.islice(_next_ports, PORTS_PER_WORKER):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in this test worker's block")


def web_environment(env: dict[str, str], port: int) -> dict[str, str]:
    """This process's environment without its bot settings, plus `env` and PORT; this Python's tools first."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("WHMCS_", "SLACK_", "CREDITS_"))}
    environment.update(env, PORT=str(port))
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '')}"
    return environment


@contextmanager
def procfile_web(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with procfile_process("web", env) as running:
        yield running


@contextmanager
def procfile_process(kind: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The Procfile's `kind` command with `env` and PORT set (a free port unless `env` has one); yields the
    process and its base URL."""
    with shell_process(procfile_command(kind), env) as running:
        yield running


@contextmanager
def shell_process(command: str, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`command` run by bash as Heroku runs a Procfile line, with `env` and PORT; stopped on the way out."""
    port = int(env.get("PORT") or free_port())
    process = subprocess.Popen(
        ["bash", "-c", command],
        cwd=ROOT,
        env=web_environment(env, port),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=30)


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float = 60, status: int = 200) -> float:
    """Seconds until `/healthz` answers `status` (503: serving, but not connected to Slack). A worker that
    is still making its start's warm-up call holds requests in the listen backlog: a read timeout is
    waited out like a refused connection."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        assert process.poll() is None, process.stderr.read() if process.stderr else "exited"
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == status:
                return time.monotonic() - started
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.05)
    raise AssertionError(f"/healthz never answered {status}")


def serving_env(slack: FakeSlack, whmcs: FakeWhmcs) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "CREDITS_ALLOWED_USERS": ALICE,
        "WHMCS_URL": whmcs.url,
        "WHMCS_IDENTIFIER": IDENTIFIER,
        "WHMCS_SECRET": SECRET,
        "LOG_FORMAT": "json",
    }
