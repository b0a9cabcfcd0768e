"""`python -m bot.serve.healthcheck`'s main, in-process against the status routes on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.serve import healthcheck
from bot.serve.local_server import start_server
from bot.serve.wsgi import status_app
from tests.processes import free_port


@pytest.fixture
def healthy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    state = [True]
    server = start_server(status_app(lambda: state[0], None), "127.0.0.1", 0)
    monkeypatch.setenv("PORT", str(server.server_port))
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_a_healthy_process_is_exit_0(healthy: list[bool]) -> None:
    assert healthcheck.main() == 0


def test_a_503_is_exit_1_with_the_status(healthy: list[bool], capsys: pytest.CaptureFixture[str]) -> None:
    healthy[0] = False
    assert healthcheck.main() == 1
    assert capsys.readouterr().err.endswith("/healthz answered 503\n")


def test_nothing_listening_is_exit_1_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    monkeypatch.setenv("PORT", str(port))
    assert healthcheck.main() == 1
    assert capsys.readouterr().err.startswith(
        f"credits-bot: http://127.0.0.1:{port}/healthz did not answer ("
    )


def test_a_proxy_in_the_environment_is_not_used(healthy: list[bool], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    assert healthcheck.main() == 0
