from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from bot.outbound import origin_environment
from bot.settings import WhmcsSettings
from tests.fakes.clock import FakeClock
from tests.fakes.slack import FakeSlack
from tests.fakes.whmcs import IDENTIFIER, SECRET, FakeWhmcs
from tests.slack_harness import BILLING_GROUP, BOB, BotUnderTest, running_bot


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Captured output may hold the lone surrogates of the hostile-text tests, which pytest-xdist cannot
    send from a worker (its channel is strict UTF-8): they are escaped, as a terminal would show them."""
    report: pytest.TestReport = yield
    report.sections = [
        (title, text.encode("utf-8", "backslashreplace").decode("utf-8")) for title, text in report.sections
    ]
    return report


LONGEST = (
    "tests/e2e/test_socket_mode.py::test_sigterm_tells_the_people_whose_lookups_outlast_the_drain",
    "tests/e2e/test_slow_clients.py::test_slow_and_idle_clients_do_not_delay_acknowledgements",
    "tests/e2e/test_sigterm.py::test_sigterm_into_a_hundred_slow_lookups_tells_every_person",
    "tests/state/test_shared_state.py::test_two_processes_share_one_limit_and_one_cache",
    "tests/app/test_hostile_whmcs.py::test_a_log_of_200000_entries_answers_pages_and_exports",
    "tests/telemetry/test_metrics.py::test_the_web_process_serves_metrics_only_when_enabled",
)
"""The longest tests (10 to 25 s each: drains, slow clients, real processes, a 200,000-entry log)."""
HEAVY_FILES = (
    "tests/e2e/",
    "tests/app/test_hostile_whmcs.py",
    "tests/state/test_shared_state.py",
    "tests/telemetry/",
    "tests/test_container.py",
    "tests/core/test_fuzz_parsers.py",
)
"""The other tests that start processes or fuzz."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Deal the long tests out so that each pytest-xdist worker starts with its share of them, the longest
    first, and fills in with the quick ones: the `worksteal` scheduler hands each worker a contiguous part
    of this order at the start. In the order they were collected, the long tests sat in one worker's part
    and the others stole them late: the longest began 66 s into a 91 s run."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 2:
        return
    rank = {nodeid: place for place, nodeid in enumerate(LONGEST)}
    heavy = sorted(
        (item for item in items if item.nodeid in rank or item.nodeid.startswith(HEAVY_FILES)),
        key=lambda item: rank.get(item.nodeid, len(rank)),
    )
    chosen = {id(item) for item in heavy}
    light = [item for item in items if id(item) not in chosen]
    parts: list[list[pytest.Item]] = [heavy[worker::workers] for worker in range(workers)]
    left, sizes = len(items), []
    for worker in range(workers):  # the sizes worksteal gives the parts: what is left, shared evenly
        sizes.append(left // (workers - worker))
        left -= sizes[-1]
    for part, size in zip(parts, sizes, strict=True):
        take = max(size - len(part), 0)
        part.extend(light[:take])
        del light[:take]
    items[:] = [item for part in parts for item in part] + light


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings also read `.env`; tests run where none exists so that only what they set counts."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def whmcs() -> Iterator[FakeWhmcs]:
    with FakeWhmcs() as server:
        yield server


@pytest.fixture
def whmcs_settings(whmcs: FakeWhmcs) -> WhmcsSettings:
    return WhmcsSettings(
        whmcs_url=whmcs.url, whmcs_identifier=IDENTIFIER, whmcs_secret=SECRET, whmcs_timeout=2
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack(groups={BILLING_GROUP: [BOB]}) as server:
        yield server


@pytest.fixture
def bot(slack: FakeSlack, whmcs_settings: WhmcsSettings) -> Iterator[BotUnderTest]:
    with running_bot(slack, whmcs_settings) as running:
        yield running


@pytest.fixture(scope="session")
def self_signed_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh self-signed certificate for 127.0.0.1 and its key: no client trusts it unless told to
    (REQUESTS_CA_BUNDLE naming the certificate)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder: Path = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        [
            *("openssl", *request, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture(scope="session")
def self_signed_tls(self_signed_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A server TLS context with the self-signed certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_certificate)
    return context


@pytest.fixture(autouse=True)
def _outbound_environment_read_afresh() -> Iterator[None]:
    """The outbound sessions read proxies and CA bundles once per origin and process: a test that sets them
    must not leave what it set to the next test that meets the same loopback port."""
    yield
    origin_environment.cache_clear()
