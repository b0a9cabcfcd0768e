"""Load benchmark: credits-bot, a bare Bolt app and a plain Bolt app under bursts of signed `/credits`.

Every server runs as the Procfile's web command (the baselines with the same gunicorn settings, only the
WSGI app swapped) against a loopback WHMCS that answers after a fixed latency and a loopback Slack that
records the answers. For each WHMCS latency and burst size, each server is started afresh (start-up time),
warmed with a burst whose answers are awaited (idle memory after it), then sent a burst of commands released
at once, each for a different client. Prints the tables and writes them, with a chart, to benchmarks/results/.

    python -m benchmarks.load [--bursts 1 40 200] [--whmcs-latencies 0.2 2] [--servers credits-bot ...]
        [--no-presses | --presses-only] [--no-write]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import re
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

from benchmarks.render import whmcs_reply
from bot.serve import gunicorn_config
from bot.serve.gate import EVENTS_PATH
from bot.settings import SlackSettings
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import FakeWhmcs, Reply, client, entry
from tests.processes import ROOT, free_port, procfile_command, serving_env, wait_healthy, web_environment
from tests.slack_harness import BotUnderTest, buttons, signed_headers

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, NullFormatter
except ImportError:
    raise SystemExit(
        "benchmarks.load draws its chart with matplotlib: pip install -e '.[dev,bench]'"
    ) from None

RESULTS = ROOT / "benchmarks" / "results"
SLACK_ACK_DEADLINE = 3.0
ACK_WAIT_SECONDS = 10.0
ANSWER_WAIT_SECONDS = 60.0
STOP_WAIT_SECONDS = 5.0
WARM_UP_BURST = 40
"""Commands sent (and answered) before each measured burst, enough to grow every server's thread and
connection pools (gunicorn's 16 threads, Bolt's listener pool, credits-bot's 32 lookups) as on a server that
has been up a while."""
FIRST_BURST_CLIENT = WARM_UP_BURST + 1
ENTRIES_PER_CLIENT = 25
HEAVY_BURST, HEAVY_LATENCY, LAST_ANSWER_TARGET = 200, 2.0, 3.5
"""Issue 8's main target: 200 concurrent commands with WHMCS at 2 s all answered within 3.5 s."""
DEFAULT_CONCURRENCY: int = SlackSettings.model_fields["bot_concurrency"].default
HIGH_CONCURRENCY = 200
"""Issue 15 measures credits-bot with the default BOT_CONCURRENCY and with this one."""
BIG_LOG = 50_000
PRESS_TARGET_SECONDS = 0.05
READ_SECONDS = 1.0
"""How long a person takes to read an answer before pressing a button under it (at the least)."""
FIRST_ANSWER_MARGIN = 0.5
"""The first answer after a start is "one WHMCS round trip" when it comes within the latency and this."""
LAST_ANSWER_MARGIN = 1.5
RATE_LIMIT = "10000"
"""The highest CREDITS_RATE_LIMIT the settings accept; far above the commands one start receives."""


@dataclass(frozen=True)
class Server:
    """A web process to measure: `app` is the WSGI app gunicorn serves (None: the Procfile's own)."""

    key: str
    name: str
    app: str | None
    answers: bool

    def command(self) -> str:
        if self.app is None:
            return procfile_command("web")
        words = shlex.split(procfile_command("web"))
        return shlex.join([*words[:-1], self.app])


SERVERS = (
    Server("credits-bot", "credits-bot", None, answers=True),
    Server("credits-bot-high", f"credits-bot, BOT_CONCURRENCY={HIGH_CONCURRENCY}", None, answers=True),
    Server("bare", "bare Bolt", "benchmarks.baselines.bare_app:create_application()", answers=False),
    Server("plain", "plain Bolt", "benchmarks.baselines.plain_app:create_application()", answers=True),
)


@dataclass(eq=False)
class TimedSlack(FakeSlack):
    """The loopback Slack, also noting when the first post to each response URL arrived."""

    arrivals: dict[str, float] = field(default_factory=dict)

    called: dict[str, list[float]] = field(default_factory=dict)

    def record_response(self, key: str, body: dict[str, Any]) -> None:
        with self.changed:
            self.arrivals.setdefault(key, time.monotonic())
        super().record_response(key, body)

    def call(self, method: str, args: dict[str, Any], token: str) -> Any:
        answer = super().call(method, args, token)
        with self.changed:
            self.called.setdefault(method, []).append(time.monotonic())
            self.changed.notify_all()
        return answer

    def called_after(self, method: str, moment: float, deadline: float) -> float | None:
        """When `method` was first answered after `moment`, waiting for it until `deadline`."""
        with self.changed:
            while time.monotonic() < deadline:
                later = [at for at in self.called.get(method, []) if at > moment]
                if later:
                    return min(later)
                self.changed.wait(deadline - time.monotonic())
        return None

    def arrival_times(self, keys: Collection[str], deadline: float) -> dict[str, float]:
        """When each of `keys` was answered, waiting until all were or until `deadline`."""
        with self.changed:
            while any(key not in self.arrivals for key in keys) and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
            return {key: self.arrivals[key] for key in keys if key in self.arrivals}


@dataclass(frozen=True)
class Sent:
    """One command of a burst: `status` 0 when no HTTP answer came within ACK_WAIT_SECONDS."""

    client_id: int
    key: str
    started: float
    seconds: float
    status: int

    @property
    def acknowledged(self) -> bool:
        return self.status == 200 and self.seconds < SLACK_ACK_DEADLINE


@dataclass(frozen=True)
class Measurement:
    """One row: a server under one burst size and WHMCS latency; `unanswered` None for the bare app."""

    server: str
    whmcs_latency: float
    burst: int
    ack_seconds: tuple[float, ...]
    unacked: int
    unanswered: int | None
    last_answer: float | None
    startup: float
    idle_rss_mb: float
    peak_rss_mb: float
    concurrency: int = DEFAULT_CONCURRENCY
    first_answer: float | None = None
    """Seconds from the first command after start (currency cache cold) to its answer."""


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants (the gunicorn master and its workers), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def largest_mb(pids: Sequence[int], field_name: str) -> float:
    """The largest `VmRSS` or `VmHWM` among the processes, in MB (10^6 bytes): the per-process figure."""
    largest = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith(f"{field_name}:"):
                largest = max(largest, int(line.split()[1]))
    return largest * 1024 / 1e6


@contextmanager
def running(server: Server, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[str], str, float]]:
    """The server as a subprocess on a free port; yields it, its URL and seconds from start to /healthz."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as output:
        started = time.monotonic()
        process = subprocess.Popen(
            ["bash", "-c", server.command()],
            cwd=ROOT,
            env=web_environment(env, port),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            try:
                wait_healthy(url, process)
            except AssertionError:
                raise SystemExit(f"{server.name} did not start:\n{tail(output)}") from None
            yield process, url, time.monotonic() - started
        finally:
            stop(process)


def tail(output: IO[bytes], size: int = 2000) -> str:
    output.seek(0)
    return output.read().decode(errors="replace")[-size:]


def stop(process: subprocess.Popen[str]) -> None:
    """Its whole process group (its own session): politely, then firmly; results are already taken."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        os.killpg(process.pid, signal_number)
        try:
            process.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            continue


def signed_request(bot: BotUnderTest, body: str) -> bytes:
    """The whole HTTP request Slack would send for `body`, signed, as bytes, ready to write to a socket."""
    host = bot.url.removeprefix("http://")
    lines = [
        f"POST {EVENTS_PATH} HTTP/1.1",
        f"Host: {host}",
        *(f"{name}: {value}" for name, value in signed_headers(body).items()),
        f"Content-Length: {len(body.encode())}",
        "Connection: close",
        "",
        "",
    ]
    return "\r\n".join(lines).encode() + body.encode()


def post_raw(url: str, request: bytes, timeout: float) -> int:
    """Send a prepared request on a new connection; the HTTP status of the answer (read to its end, the
    server closing the connection), or 0 when none came within `timeout`."""
    host, _, port = url.removeprefix("http://").partition(":")
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as connection:
            connection.sendall(request)
            answer = bytearray()
            while chunk := connection.recv(65536):
                answer += chunk
                connection.settimeout(max(deadline - time.monotonic(), 0.001))
    except OSError:
        return 0
    status = answer.split(b"\r\n", 1)[0].split(b" ")
    return int(status[1]) if len(status) > 1 and status[1].isdigit() else 0


def send_burst(bot: BotUnderTest, client_ids: Sequence[int]) -> list[Sent]:
    """One thread per command, each request signed and encoded in advance, released together by a barrier.

    After the barrier a sender only connects, writes its bytes and reads the answer on a plain socket:
    `requests.post` cost the generator several milliseconds of interpreter time per command (a session
    built, settings merged, the environment read), so that 200 senders sharing one interpreter with the
    loopback WHMCS and Slack took over a second to send their commands, and that time was counted in every
    server's acknowledgements (the bare app's included). An acknowledgement is timed from the barrier to the
    last byte of the answer, which the server's closing the connection marks."""
    gate = threading.Barrier(len(client_ids))
    sent: list[Sent] = []

    def send(client_id: int) -> None:
        body, key = bot.command_form(str(client_id))
        request = signed_request(bot, body)
        gate.wait()
        started = time.monotonic()
        status = post_raw(bot.url, request, ACK_WAIT_SECONDS)
        sent.append(Sent(client_id, key, started, time.monotonic() - started, status))

    threads = [threading.Thread(target=send, args=(client_id,)) for client_id in client_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent


def credit_log_arrivals(slack: TimedSlack, sent: Sequence[Sent], deadline: float) -> dict[str, float]:
    """Arrival times of the answers that are the asked client's credit log (not an error message)."""
    arrivals = slack.arrival_times([command.key for command in sent], deadline)
    return {
        command.key: arrivals[command.key]
        for command in sent
        if command.key in arrivals
        and re.match(
            rf"Credits of .*#{command.client_id}\b", slack.responses[command.key][-1].get("text", "")
        )
    }


def measure(
    server: Server,
    burst: int,
    whmcs_latency: float,
    env: dict[str, str],
    slack: TimedSlack,
    whmcs: FakeWhmcs,
    one_client: bool = False,
) -> Measurement:
    whmcs.latency = whmcs_latency
    with running(server, env) as (process, url, startup):
        bot = BotUnderTest(url, slack)
        first_answer = None
        if server.answers:
            (first,) = send_burst(bot, [1])
            arrived = credit_log_arrivals(slack, [first], first.started + ANSWER_WAIT_SECONDS)
            first_answer = arrived[first.key] - first.started if first.key in arrived else None
        warm_up = send_burst(bot, range(1, WARM_UP_BURST + 1))
        if not any(command.status == 200 for command in warm_up):
            raise SystemExit(f"{server.name} acknowledged none of its warm-up commands")
        if server.answers:
            slack.arrival_times([command.key for command in warm_up], time.monotonic() + ANSWER_WAIT_SECONDS)
        idle_rss = largest_mb(process_tree(process.pid), "VmRSS")
        asked = (
            [FIRST_BURST_CLIENT] * burst
            if one_client
            else range(FIRST_BURST_CLIENT, FIRST_BURST_CLIENT + burst)
        )
        sent = send_burst(bot, asked)
        first_request = min(command.started for command in sent)
        unanswered, last_answer = None, None
        if server.answers:
            arrivals = credit_log_arrivals(slack, sent, first_request + ANSWER_WAIT_SECONDS)
            unanswered = burst - len(arrivals)
            last_answer = max(arrivals.values(), default=first_request) - first_request
        peak_rss = largest_mb(process_tree(process.pid), "VmHWM")
    return Measurement(
        server=server.name,
        whmcs_latency=whmcs_latency,
        burst=burst,
        ack_seconds=tuple(sorted(command.seconds for command in sent)),
        unacked=sum(1 for command in sent if not command.acknowledged),
        unanswered=unanswered,
        last_answer=last_answer,
        startup=startup,
        idle_rss_mb=idle_rss,
        peak_rss_mb=peak_rss,
        concurrency=HIGH_CONCURRENCY if server.key == "credits-bot-high" else DEFAULT_CONCURRENCY,
        first_answer=first_answer,
    )


@dataclass(frozen=True)
class Press:
    """A button under the answer of a BIG_LOG-entry log: seconds from the press to its answer, WHMCS calls.

    The press is timed from the moment the generator sends the click; its end is the answer posted to the
    response URL, and for Export CSV the file completed in the loopback Slack (its
    `files.completeUploadExternal`, after the bytes were posted), whichever comes later."""

    button: str
    seconds: float
    whmcs_calls: int
    read_first: float
    """How long after the answer the first button was pressed: 0 (at once), or READ_SECONDS."""


PRESSED = (("Older", "credits_older"), ("Newer", "credits_newer"), ("Export", "credits_export"))
PRESSED_LAST = ("Share", "credits_share")


def parse_in_a_process_of_its_own() -> float:
    """`benchmarks.parse`'s median of 3 for a BIG_LOG-entry reply, in a fresh interpreter, as in a worker.

    Timed in this process, it took 214 to 302 ms where a process of its own took 205 to 221 ms in the same
    minutes: each garbage collection the parse sets off also walks this process's own objects (the loopback
    WHMCS's clients and logs, the replies recorded), which a worker does not hold."""
    code = (
        "from benchmarks.parse import median_ms; from benchmarks.render import whmcs_reply; "
        f"print(median_ms(whmcs_reply({BIG_LOG}), 3))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return float(done.stdout.strip())


@contextmanager
def harness_collections_held() -> Iterator[None]:
    """No garbage collection in this process (the load generator, the loopback WHMCS and Slack) while the
    presses are timed: it holds the big reply it served, and a full collection of it took 40 to 64 ms, which
    landed inside a press's time now and then. The bot's own collections are part of what is measured."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def measure_presses(env: dict[str, str], slack: TimedSlack, whmcs: FakeWhmcs) -> list[Press]:
    """A lookup of a BIG_LOG-entry log (the reply encoded once, beforehand), then Older, Newer, Export and
    Share pressed under its answer, one after the other: once at once, as a machine would, and once more
    (after a second lookup) READ_SECONDS after the answer, as a person who reads the answer first."""
    whmcs.latency = HEAVY_LATENCY
    reply = whmcs_reply(BIG_LOG)
    presses: list[Press] = []
    with running(SERVERS[0], env) as (_, url, _startup), harness_collections_held():
        bot = BotUnderTest(url, slack)
        for client_id, read_first in ((1, 0.0), (2, READ_SECONDS)):  # a second client: Export and Share
            whmcs.queue(Reply(reply))  # of the same button are not repeated within RECENT_SECONDS
            answer = bot.answer(bot.command(str(client_id)), timeout=ANSWER_WAIT_SECONDS)
            time.sleep(read_first)
            presses += press_each(bot, slack, whmcs, answer, read_first)
    return presses


def press_each(
    bot: BotUnderTest, slack: TimedSlack, whmcs: FakeWhmcs, answer: dict[str, Any], read_first: float
) -> list[Press]:
    """Older, Newer (on Older's page), Export and Share under `answer`, each timed."""
    presses: list[Press] = []
    older = buttons(answer)["credits_older"]
    for name, action in (*PRESSED, PRESSED_LAST):
        button = buttons(answer).get(action) or older
        calls = len(whmcs.calls)
        started = time.monotonic()
        reply = bot.click(button)
        page = bot.answer(reply, timeout=ANSWER_WAIT_SECONDS)
        ended = time.monotonic()
        if action == "credits_export":
            completed = slack.called_after(
                "files.completeUploadExternal", started, started + ANSWER_WAIT_SECONDS
            )
            if completed is None:
                raise SystemExit("Export CSV completed no upload in the loopback Slack")
            ended = max(ended, completed)
        presses.append(Press(name, ended - started, len(whmcs.calls) - calls, read_first))
        if name == "Older":
            answer = page  # Newer is pressed on the second page
    return presses


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest rank: the smallest value with at least `fraction` of the values at or below it."""
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def ack_ms(seconds: float) -> str:
    return f"> {ACK_WAIT_SECONDS * 1000:.0f}" if seconds >= ACK_WAIT_SECONDS else f"{seconds * 1000:.1f}"


def last_answer_cell(row: Measurement) -> str:
    if row.unanswered is None or row.last_answer is None:
        return "-"
    return f"> {ANSWER_WAIT_SECONDS:.0f}" if row.unanswered else f"{row.last_answer:.2f}"


def load_table(rows: Sequence[Measurement]) -> list[str]:
    lines = [
        "| WHMCS s | burst | server | ack p50 ms | ack p99 ms | ack max ms | unacked | unanswered "
        "| first request to last answer s | peak RSS MB |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        cells = [
            f"{row.whmcs_latency:g}",
            str(row.burst),
            row.server,
            ack_ms(percentile(row.ack_seconds, 0.5)),
            ack_ms(percentile(row.ack_seconds, 0.99)),
            ack_ms(row.ack_seconds[-1]),
            str(row.unacked),
            "-" if row.unanswered is None else str(row.unanswered),
            last_answer_cell(row),
            f"{row.peak_rss_mb:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def startup_table(rows: Sequence[Measurement], servers: Sequence[Server]) -> list[str]:
    lines = [
        "| server | starts | start to /healthz s, median (max) | idle RSS MB, median (max) |",
        "|---|---:|---:|---:|",
    ]
    for server in servers:
        own = [row for row in rows if row.server == server.name]
        startups = [row.startup for row in own]
        idle = [row.idle_rss_mb for row in own]
        lines.append(
            f"| {server.name} | {len(own)} | {statistics.median(startups):.2f} ({max(startups):.2f}) "
            f"| {statistics.median(idle):.0f} ({max(idle):.0f}) |"
        )
    return lines


def find(rows: Sequence[Measurement], server: str, burst: int, latency: float) -> Measurement | None:
    return next(
        (r for r in rows if (r.server, r.burst, r.whmcs_latency) == (server, burst, latency)),
        None,
    )


def targets_table(rows: Sequence[Measurement]) -> list[str]:
    """Issue 8's targets for credits-bot, each with what this run measured; absent configurations left out."""
    checks: list[tuple[str, str, bool]] = []
    heavy = find(rows, "credits-bot", HEAVY_BURST, HEAVY_LATENCY)
    heavy_case = f"{HEAVY_BURST} concurrent, WHMCS {HEAVY_LATENCY:g} s"
    if heavy is not None and heavy.unanswered is not None:
        checks += [
            (f"{heavy_case}: none unacknowledged", str(heavy.unacked), heavy.unacked == 0),
            (f"{heavy_case}: none unanswered", str(heavy.unanswered), heavy.unanswered == 0),
            (
                f"{heavy_case}: last answer within {LAST_ANSWER_TARGET:g} s of the first request",
                f"{last_answer_cell(heavy)} s",
                not heavy.unanswered
                and heavy.last_answer is not None
                and heavy.last_answer <= LAST_ANSWER_TARGET,
            ),
        ]
    for latency in sorted({row.whmcs_latency for row in rows}):
        bot, floor = find(rows, "credits-bot", 40, latency), find(rows, "bare Bolt", 40, latency)
        if bot is not None and floor is not None:
            ours, bare = percentile(bot.ack_seconds, 0.99), percentile(floor.ack_seconds, 0.99)
            checks.append(
                (
                    f"40 concurrent, WHMCS {latency:g} s: ack p99 within 2x the bare Bolt floor",
                    f"{ours * 1000:.1f} ms vs {bare * 1000:.1f} ms ({ours / bare:.1f}x)",
                    ours <= 2 * bare,
                )
            )
    own = [row for row in rows if row.server == "credits-bot"]
    if own:
        slowest = max(row.startup for row in own)
        largest = max(row.idle_rss_mb for row in own)
        checks += [
            ("start to /healthz under 3 s (slowest start)", f"{slowest:.2f} s", slowest < 3),
            ("idle RSS under 80 MB per process (largest)", f"{largest:.0f} MB", largest < 80),
        ]
    lines = ["| target (credits-bot) | measured | met |", "|---|---:|---|"]
    lines += [f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in checks]
    return lines


def issue_15_table(
    rows: Sequence[Measurement], presses: Sequence[Press], parse_ms: float | None
) -> list[str]:
    """Issue 15's table: each measure, what this run measured, the target, and whether it is met."""
    high = f"credits-bot, BOT_CONCURRENCY={HIGH_CONCURRENCY}"
    checks: list[tuple[str, str, str, bool]] = []

    def ack_ratio(ours: Measurement | None, floor: Measurement | None, case: str, times: float) -> None:
        if ours is None or floor is None:
            return
        mine, bare = percentile(ours.ack_seconds, 0.99), percentile(floor.ack_seconds, 0.99)
        checks.append(
            (
                case,
                f"{mine * 1000:.0f} ms vs {bare * 1000:.0f} ms ({mine / bare:.1f}x)",
                f"within {times:g}x of the floor",
                mine <= times * bare,
            )
        )

    ack_ratio(
        find(rows, "credits-bot", 40, HEAVY_LATENCY),
        find(rows, "bare Bolt", 40, HEAVY_LATENCY),
        "ack p99, 40 concurrent, vs a bare Bolt app that only acks",
        2,
    )
    ack_ratio(
        find(rows, high, HEAVY_BURST, HEAVY_LATENCY),
        find(rows, "bare Bolt", HEAVY_BURST, HEAVY_LATENCY),
        f"ack p99, {HEAVY_BURST} concurrent, `BOT_CONCURRENCY={HIGH_CONCURRENCY}`",
        3,
    )
    heavy = find(rows, high, HEAVY_BURST, HEAVY_LATENCY)
    if heavy is not None and heavy.last_answer is not None:
        limit = HEAVY_LATENCY + LAST_ANSWER_MARGIN
        checks.append(
            (
                f"{HEAVY_BURST} concurrent different clients, `BOT_CONCURRENCY={HIGH_CONCURRENCY}`: "
                "first request to last answer",
                f"{last_answer_cell(heavy)} s",
                f"within WHMCS latency + {LAST_ANSWER_MARGIN:g} s ({limit:g} s)",
                not heavy.unanswered and heavy.last_answer <= limit,
            )
        )
    firsts = [
        row.first_answer
        for row in rows
        if row.server.startswith("credits-bot") and row.whmcs_latency == HEAVY_LATENCY and row.first_answer
    ]
    if firsts:
        slowest = max(firsts)
        checks.append(
            (
                f"first lookup after start (cold currency cache), WHMCS {HEAVY_LATENCY:g} s, slowest of "
                f"{len(firsts)} starts",
                f"{slowest:.2f} s",
                f"one WHMCS round trip (within {HEAVY_LATENCY + FIRST_ANSWER_MARGIN:g} s)",
                slowest <= HEAVY_LATENCY + FIRST_ANSWER_MARGIN,
            )
        )
    if presses:
        read = [press for press in presses if press.read_first]
        slowest_press = max(press.seconds for press in read)
        calls = sum(press.whmcs_calls for press in presses)

        def each(read_first: float) -> str:
            chosen = [press for press in presses if press.read_first == read_first]
            return ", ".join(f"{press.button} {press.seconds * 1000:.0f}" for press in chosen)

        checks.append(
            (
                f"Older / Newer / Export / Share on a {BIG_LOG:,}-entry log",
                f"{calls} WHMCS calls; press to answer ms, pressed {READ_SECONDS:g} s after the answer: "
                f"{each(READ_SECONDS)}; pressed at once, one after the other: {each(0.0)}",
                f"no WHMCS call, under {PRESS_TARGET_SECONDS * 1000:.0f} ms "
                f"(pressed {READ_SECONDS:g} s after the answer)",
                calls == 0 and slowest_press < PRESS_TARGET_SECONDS,
            )
        )
    if parse_ms is not None:
        checks.append(
            (
                f"parse of a {BIG_LOG:,}-entry reply (benchmarks.parse, median of 3)",
                f"{parse_ms:.0f} ms",
                "under 300 ms",
                parse_ms < 300,
            )
        )
    lines = ["| measured (issue 15) | now | target | met |", "|---|---:|---|---|"]
    lines += [
        f"| {name} | {value} | {target} | {'yes' if met else '**no**'} |"
        for name, value, target, met in checks
    ]
    return lines


def caption(servers: Sequence[Server], concurrency: str, one_client: bool) -> str:
    names = ", ".join(server.name for server in servers)
    sentences = [
        f"One run of `python -m benchmarks.load` on {datetime.now(UTC):%Y-%m-%d}, {os.cpu_count()} cores "
        "shared by the load generator, the loopback WHMCS and Slack, and the server under test.",
        f"Python {platform.python_version()}, slack-bolt {version('slack-bolt')}, gunicorn "
        f"{version('gunicorn')} with the Procfile's settings ({gunicorn_config.workers} "
        f"{gunicorn_config.worker_class} worker, {gunicorn_config.threads} threads) for each of {names}.",
        "Every command of a burst asks for the *same* client, as when a team looks at one account at once: "
        "credits-bot coalesces identical lookups in flight."
        if one_client
        else "Each command of a burst asks for a *different* client, so coalescing identical lookups "
        "cannot help.",
        f"credits-bot runs with BOT_CONCURRENCY={concurrency} (and, as its own server, "
        f"{HIGH_CONCURRENCY}) and CREDITS_RATE_LIMIT={RATE_LIMIT}.",
        f"Every server is started afresh for each row and warmed with a burst of {WARM_UP_BURST} commands, "
        "answers awaited, so that its thread and connection pools have grown as on a server that has been "
        "up a while; idle RSS is taken after it.",
        f"*Unacked*: no HTTP 200 within 3 s (the generator waits up to {ACK_WAIT_SECONDS:.0f} s).",
        "*Unanswered*: no post with the client's credit log to the command's response_url within "
        f"{ANSWER_WAIT_SECONDS:.0f} s of the burst's first request (the bare app never answers).",
        "*Peak RSS*: the largest VmHWM among the server's processes (gunicorn master and worker); "
        "MB = 10^6 bytes.",
    ]
    return " ".join(sentences)


def draw_chart(rows: Sequence[Measurement], servers: Sequence[Server], path: Path) -> None:
    """Per WHMCS latency: acknowledgement p99 against Slack's 3 s, and the time until the last answer."""
    latencies = sorted({row.whmcs_latency for row in rows})
    bursts = sorted({row.burst for row in rows})
    colours = {
        "credits-bot": "#2a7f62",
        f"credits-bot, BOT_CONCURRENCY={HIGH_CONCURRENCY}": "#1f4e79",
        "bare Bolt": "#9a9a9a",
        "plain Bolt": "#d9822b",
    }
    figure = Figure(figsize=(6 * len(latencies), 9), layout="constrained")
    axes = figure.subplots(2, len(latencies), squeeze=False)
    width = 0.8 / len(servers)
    for column, latency in enumerate(latencies):
        ack_axis, answer_axis = axes[0][column], axes[1][column]
        for index, server in enumerate(servers):
            for position, burst in enumerate(bursts):
                row = find(rows, server.name, burst, latency)
                if row is None:
                    continue
                x = position - 0.4 + width * (index + 0.5)
                p99 = percentile(row.ack_seconds, 0.99) * 1000
                ack_axis.bar(
                    x, p99, width, color=colours[server.name], label=server.name if not position else None
                )
                if row.unacked:
                    ack_axis.annotate(
                        f"{row.unacked}\nunacked", (x, p99), ha="center", va="bottom", fontsize=8
                    )
                if row.unanswered is None or row.last_answer is None:
                    continue
                height = ANSWER_WAIT_SECONDS if row.unanswered else row.last_answer
                answer_axis.bar(
                    x,
                    height,
                    width,
                    color=colours[server.name],
                    hatch="//" if row.unanswered else None,
                    label=server.name if not position else None,
                )
                label = (
                    f"{row.unanswered} unanswered\nby {ANSWER_WAIT_SECONDS:.0f} s"
                    if row.unanswered
                    else f"{row.last_answer:.1f} s"
                )
                answer_axis.annotate(label, (x, height), ha="center", va="bottom", fontsize=8)
        ack_axis.axhline(SLACK_ACK_DEADLINE * 1000, color="#b22222", linestyle="--", linewidth=1)
        ack_axis.text(
            -0.45, SLACK_ACK_DEADLINE * 1000 * 1.1, "Slack gives up at 3 s", color="#b22222", fontsize=8
        )
        ack_axis.set_yscale("log")
        ack_axis.set_ylabel("acknowledgement p99, ms (log)")
        ack_axis.set_title(f"WHMCS answers in {latency:g} s")
        if latency == HEAVY_LATENCY:
            target = f"target for {HEAVY_BURST} at once: {LAST_ANSWER_TARGET:g} s"
            answer_axis.axhline(LAST_ANSWER_TARGET, color="#b22222", linestyle="--", linewidth=1)
            answer_axis.text(-0.45, LAST_ANSWER_TARGET * 1.1, target, color="#b22222", fontsize=8)
        answer_axis.set_yscale("log")
        answer_axis.set_ylabel("first request to last answer, s (log)")
        answer_axis.set_title("answers (the bare app never answers)", fontsize=10)
        for axis in (ack_axis, answer_axis):
            axis.set_xticks(range(len(bursts)), [f"{burst} at once" for burst in bursts])
            axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            axis.yaxis.set_minor_formatter(NullFormatter())
            axis.margins(y=0.25)
            axis.legend(loc="upper left", fontsize=8)
    figure.suptitle("/credits under bursts: credits-bot against a bare and a plain Bolt app")
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    keys = [server.key for server in SERVERS]
    parser.add_argument("--bursts", type=int, nargs="+", default=[1, 40, 200], help="commands sent at once")
    parser.add_argument(
        "--whmcs-latencies", type=float, nargs="+", default=[0.2, 2.0], help="WHMCS's answer time, s"
    )
    parser.add_argument("--servers", nargs="+", choices=keys, default=keys)
    parser.add_argument("--bot-concurrency", type=int, default=DEFAULT_CONCURRENCY, help="for credits-bot")
    parser.add_argument(
        "--one-client", action="store_true", help="every command asks for the same client (load-one-client.*)"
    )
    parser.add_argument(
        "--no-presses", action="store_true", help=f"skip the button presses on a {BIG_LOG:,}-entry log"
    )
    parser.add_argument(
        "--presses-only", action="store_true", help="only the button presses (no bursts, no parse)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print the tables but leave benchmarks/results as it is"
    )
    args = parser.parse_args()
    servers = [] if args.presses_only else [server for server in SERVERS if server.key in args.servers]

    rows: list[Measurement] = []
    with TimedSlack() as slack, FakeWhmcs() as whmcs:
        for client_id in range(1, FIRST_BURST_CLIENT + max(args.bursts)):
            whmcs.clients[client_id] = client(client_id, email=f"client{client_id}@example.com")
            whmcs.set_credits(
                client_id,
                [
                    entry(n, f"2024-01-{n:02d}", f"Credit #{n}", "1.00")
                    for n in range(1, ENTRIES_PER_CLIENT + 1)
                ],
            )
        env = serving_env(slack, whmcs) | {
            "CREDITS_RATE_LIMIT": RATE_LIMIT,
            "BOT_CONCURRENCY": str(args.bot_concurrency),
        }
        high_env = env | {"BOT_CONCURRENCY": str(HIGH_CONCURRENCY)}
        for latency in args.whmcs_latencies:
            for burst in args.bursts:
                for server in servers:
                    own_env = high_env if server.key == "credits-bot-high" else env
                    rows.append(measure(server, burst, latency, own_env, slack, whmcs, args.one_client))
                    print(f"measured {server.name}: {burst} at once, WHMCS {latency:g} s", flush=True)
        presses = [] if args.no_presses else measure_presses(env, slack, whmcs)
    parse_ms = None if args.presses_only else parse_in_a_process_of_its_own()

    concurrency = str(args.bot_concurrency)
    if args.bot_concurrency == DEFAULT_CONCURRENCY:
        concurrency += " (the default)"
    report = [
        "## Load",
        "",
        caption(servers, concurrency, args.one_client),
        "",
        *load_table(rows),
        "",
        "### Start-up and idle memory",
        "",
        *startup_table(rows, servers),
        "",
        "### Issue 8's targets",
        "",
        *targets_table(rows),
        "",
        "### Issue 15's table",
        "",
        *issue_15_table(rows, presses, parse_ms),
        "",
    ]
    print("\n" + "\n".join(report))
    if args.no_write:
        return
    RESULTS.mkdir(exist_ok=True)
    name = "load-one-client" if args.one_client else "load"
    (RESULTS / f"{name}.md").write_text("\n".join(report))
    if rows:
        draw_chart(rows, servers, RESULTS / f"{name}.png")
    print(f"wrote {name}.md and {name}.png in {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
