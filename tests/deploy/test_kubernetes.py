"""deploy/kubernetes/, checked without a cluster: valid against Kubernetes' published schemas, and in
agreement with the Procfile, the Dockerfile, the health check, gunicorn's drain and the settings."""

from __future__ import annotations

import importlib
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import kubernetes_validate
import pytest
import yaml
from pydantic import SecretStr

from bot.settings import SlackSettings, WhmcsSettings
from tests.processes import ROOT, procfile_command
from tests.test_container import arguments

MANIFESTS = ROOT / "deploy" / "kubernetes"
# A few releases behind the newest, so the manifests use nothing a cluster that lags would refuse;
# kubernetes-validate ships the schemas, so the check runs offline.
KUBERNETES_VERSION = "1.33"
# Where gunicorn writes its worker heartbeat inside the container: the default temporary directory.
CONTAINER_TMP = "/tmp"  # noqa: S108 (a path in the pod, not a file this test creates)


def documents(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = [doc for doc in yaml.safe_load_all((MANIFESTS / name).read_text()) if doc]
    return loaded


def the(kind: str, name: str) -> dict[str, Any]:
    (document,) = [doc for doc in documents(name) if doc["kind"] == kind]
    return document


def container(name: str) -> dict[str, Any]:
    (only,) = the("Deployment", name)["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict)
    return only


DEPLOYMENTS = ["deployment.yaml", "socket-mode.yaml"]
# The Procfile line each Deployment runs.
PROCESS = {"deployment.yaml": "web", "socket-mode.yaml": "worker"}


@pytest.mark.parametrize("path", sorted(MANIFESTS.glob("*.yaml")), ids=lambda path: path.name)
def test_every_manifest_is_valid_against_the_kubernetes_schema(path: Path) -> None:
    docs = documents(path.name)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_manifests_are_the_ones_the_readme_applies() -> None:
    assert sorted(path.name for path in MANIFESTS.glob("*.yaml")) == sorted(
        [*DEPLOYMENTS, "service.yaml", "secret.example.yaml"]
    )


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_each_deployment_runs_its_procfile_command_from_the_dockerfiles_image(name: str) -> None:
    assert container(name)["command"] == shlex.split(procfile_command(PROCESS[name]))
    (user,) = arguments("USER")
    assert the("Deployment", name)["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == int(user)


def test_socket_mode_runs_the_socket_command() -> None:
    assert container("socket-mode.yaml")["command"] == ["python", "-m", "bot", "socket"]


class RecordingHandler(BaseHTTPRequestHandler):
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line on stderr per request."""


@pytest.fixture
def recording_server() -> Iterator[tuple[int, list[str]]]:
    server = HTTPServer(("127.0.0.1", 0), RecordingHandler)
    RecordingHandler.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], RecordingHandler.paths
    finally:
        server.shutdown()
        server.server_close()


def health_check_path(port: int, paths: list[str]) -> str:
    """The path the image's HEALTHCHECK asks for, found by running its command against `port`."""
    (healthcheck,) = arguments("HEALTHCHECK")
    command = yaml.safe_load(healthcheck.split("CMD", 1)[1])
    assert command[0] == "python"
    env = {"PORT": str(port), "PATH": str(Path(sys.executable).parent)}
    subprocess.run([sys.executable, *command[1:]], cwd=ROOT, env=env, check=True, timeout=10)
    (path,) = paths
    return path


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_the_probes_ask_what_the_health_check_asks_on_the_port_served(
    name: str, recording_server: tuple[int, list[str]]
) -> None:
    path = health_check_path(*recording_server)
    spec = container(name)
    env = {variable["name"]: variable.get("value") for variable in spec["env"]}
    ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert spec[probe]["httpGet"]["path"] == path, probe
        assert ports[spec[probe]["httpGet"]["port"]] == int(env["PORT"]), probe


def gunicorn_config() -> Any:
    """The module the Procfile's web line hands gunicorn (`--config python:MODULE`)."""
    words = shlex.split(procfile_command("web"))
    module = words[words.index("--config") + 1].removeprefix("python:")
    return importlib.import_module(module)


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_kubernetes_waits_longer_than_the_lookup_drain(name: str) -> None:
    config = gunicorn_config()
    drain = config.graceful_timeout - config.DRAIN_MARGIN_SECONDS
    grace = the("Deployment", name)["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > config.graceful_timeout > drain


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_the_pods_run_unprivileged_on_a_read_only_root_with_a_writable_tmp(name: str) -> None:
    pod = the("Deployment", name)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    spec = container(name)
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    (mount,) = spec["volumeMounts"]
    assert mount["mountPath"] == CONTAINER_TMP
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mount["name"]]


# Measured: 70 MB at the peak of a 200-lookup burst; four 200,000-entry credit logs read at once: at most
# 441 MB (one, and its CSV export: 145 MB; README, A bounded reply). MB = 10^6 bytes.
BURST_PEAK_MB = 70
FOUR_LONG_LOGS_PEAK_MB = 441


def megabytes(quantity: str) -> float:
    assert quantity.endswith("Mi"), quantity
    return int(quantity.removesuffix("Mi")) * 2**20 / 10**6


@pytest.mark.parametrize("name", DEPLOYMENTS)
def test_memory_is_requested_for_a_burst_and_limited_above_four_long_logs(name: str) -> None:
    resources = container(name)["resources"]
    assert megabytes(resources["requests"]["memory"]) >= BURST_PEAK_MB
    assert megabytes(resources["limits"]["memory"]) >= FOUR_LONG_LOGS_PEAK_MB


def test_the_service_reaches_the_web_pods_and_nothing_reaches_socket_mode() -> None:
    service = the("Service", "service.yaml")
    web = the("Deployment", "deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    socket = the("Deployment", "socket-mode.yaml")["spec"]["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector.items() <= web.items()
    assert not selector.items() <= socket.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in {p["name"] for p in container("deployment.yaml")["ports"]}
    assert [doc["kind"] for doc in documents("socket-mode.yaml")] == ["Deployment"]


def test_the_secret_holds_settings_only_with_fake_values() -> None:
    secret = the("Secret", "secret.example.yaml")
    fields = {**WhmcsSettings.model_fields, **SlackSettings.model_fields}
    settings = {name.upper(): field for name, field in fields.items()}
    values: dict[str, str] = secret["stringData"]
    assert set(values) <= set(settings)
    required = {name for name, field in settings.items() if field.is_required()}
    assert required | {"SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"} <= set(values)
    for name, value in values.items():
        if "SecretStr" in str(settings[name].annotation) or settings[name].annotation is SecretStr:
            assert "not-a-real" in value or "example" in value, name
    for name in DEPLOYMENTS:
        assert container(name)["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]


def test_a_filled_in_secret_is_never_committed() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", "deploy/kubernetes/secret.yaml"],
        cwd=ROOT,
        check=False,
        timeout=10,
    )
    assert ignored.returncode == 0
