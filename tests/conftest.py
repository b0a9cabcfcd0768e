from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

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


LONGEST_FIRST = (
    "tests/e2e/",
    "tests/app/test_hostile_whmcs.py",
    "tests/state/test_shared_state.py",
    "tests/telemetry/test_metrics.py",
    "tests/test_container.py",
    "tests/core/test_fuzz_parsers.py",
)
"""The files of the longest tests (real processes, drains, a 200,000-entry log, fuzzing) run first: the
workers take tests a few at a time in this order, so the long ones start at once on different workers
instead of one of them finishing the run alone."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))


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
def self_signed_tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate, which no client trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder: Path = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    request = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(
        ["openssl", *request, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
