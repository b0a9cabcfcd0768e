"""The Dockerfile, checked without a Docker engine: what it runs, what it copies, what it leaves out.

The image's command must stay the Procfile's web command; every file it copies must exist and pass the
.dockerignore allow-list; the dependencies must come from uv.lock, without the dev group, before the code; and
its health check must tell a serving process from one that is not.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from typing import Any

import pytest

from tests.fakes.slack import APP_TOKEN, FakeSlack
from tests.fakes.whmcs import FakeWhmcs
from tests.processes import ROOT, procfile_command, procfile_process, procfile_web, serving_env, wait_healthy


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (keyword.upper(), arguments.strip())
        for keyword, _, arguments in (
            line.partition(" ") for line in lines if line and not line.startswith("#")
        )
    ]


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions of the last stage, the image that runs."""
    steps = instructions()
    start = max(i for i, (name, _) in enumerate(steps) if name == "FROM")
    return steps[start:]


def arguments(keyword: str) -> list[str]:
    return [args for name, args in instructions() if name == keyword]


def uv_release(text: str) -> str:
    """The uv release that `text` installs with pip (one only)."""
    releases: set[str] = set(re.findall(r"pip install (?:--quiet )?uv==([0-9.]+)", text))
    (release,) = releases
    return release


def locked_packages(names: list[str], lock: dict[str, Any]) -> set[str]:
    """The packages uv.lock installs for `names` and what they depend on, with no dependency group."""
    packages = {package["name"]: package for package in lock["package"]}
    wanted, seen = [re.split(r"[<>=!~;\[ ]", name, maxsplit=1)[0].lower() for name in names], set()
    while wanted:
        name = wanted.pop()
        if name not in seen:
            seen.add(name)
            wanted += [dependency["name"] for dependency in packages[name].get("dependencies", [])]
    return seen


def dockerignore_keeps(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent folders decides."""
    kept = True
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        include = pattern.startswith("!")
        glob = pattern.removeprefix("!").strip("/")
        regex = re.escape(glob).replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        parts = path.split("/")
        if any(re.fullmatch(regex, "/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            kept = include
    return kept


def test_the_image_runs_the_procfiles_web_command() -> None:
    (command,) = arguments("CMD")
    assert json.loads(command) == shlex.split(procfile_command("web"))
    assert instructions()[-1][0] == "CMD"


def test_every_copied_file_exists_and_is_in_the_build_context() -> None:
    copies = [copy for copy in arguments("COPY") if not copy.startswith("--from=")]
    assert copies
    for copy in copies:
        *sources, _ = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert dockerignore_keeps(source), f"COPY {source}: .dockerignore leaves it out"
            for inside in (ROOT / source).rglob("*.py") if (ROOT / source).is_dir() else ():
                assert dockerignore_keeps(inside.relative_to(ROOT).as_posix()), inside


@pytest.mark.parametrize(
    "path", [".env", ".git/config", "tests/conftest.py", "bot/__pycache__/web.cpython-311.pyc", "README.md"]
)
def test_secrets_tests_and_caches_stay_out_of_the_build_context(path: str) -> None:
    assert not dockerignore_keeps(path)


def test_dependencies_are_installed_from_the_lock_before_the_code_is_copied() -> None:
    build = instructions()[: -len(runtime_stage())]
    order = [args for name, args in build if name in ("COPY", "RUN")]
    dependencies = order.index("uv sync --locked --no-dev --no-install-project")
    assert order.index("pyproject.toml uv.lock ./") < dependencies < order.index("bot ./bot")
    assert all("--locked" in args and "--no-dev" in args for args in order if args.startswith("uv sync"))
    assert uv_release((ROOT / "Dockerfile").read_text()) == uv_release((ROOT / ".ci" / "run").read_text())


def test_the_image_gets_the_locked_dependencies_and_no_dev_tool() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    name, lock = pyproject["project"]["name"], tomllib.loads((ROOT / "uv.lock").read_text())
    installed = locked_packages([name], lock)
    assert locked_packages(pyproject["project"]["dependencies"], lock) | {name} == installed
    dev_only = locked_packages(pyproject["dependency-groups"]["dev"], lock) - installed
    assert {"pytest", "ruff", "mypy", "hypothesis", "kubernetes-validate"} <= dev_only


def test_the_runtime_stage_holds_only_the_environment_and_the_code() -> None:
    copies = [args for name, args in runtime_stage() if name == "COPY"]
    assert copies == ["--from=build /app/.venv ./.venv", "bot ./bot"]
    assert "PATH=/app/.venv/bin:$PATH" in " ".join(args for name, args in runtime_stage() if name == "ENV")


def test_runs_as_an_unprivileged_user_exposes_the_port_and_checks_health() -> None:
    steps = runtime_stage()
    names = [name for name, _ in steps]
    (user,) = arguments("USER")
    assert user.isdigit(), "Kubernetes' runAsNonRoot can verify only a numeric user"
    assert user != "0"
    assert names.index("USER") > max(i for i, name in enumerate(names) if name in ("RUN", "COPY"))
    assert arguments("EXPOSE") == ["3000"]
    assert "PORT=3000" in " ".join(args for name, args in steps if name == "ENV")
    (healthcheck,) = arguments("HEALTHCHECK")
    assert healthcheck.endswith('CMD ["python", "-m", "bot.serve.healthcheck"]')


def test_python_version_is_the_one_heroku_and_the_type_checker_use() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    bases = [base.split()[0] for base in arguments("FROM")]
    assert bases == [f"python:{version}-slim"] * 2
    assert f'python_version = "{version}"' in (ROOT / "pyproject.toml").read_text()


def healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.serve.healthcheck"],
        env={**os.environ, "PORT": str(port)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_the_health_check_passes_only_while_serving(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    with procfile_web(serving_env(slack, whmcs)) as (process, url):
        wait_healthy(url, process)
        port = int(url.rsplit(":", 1)[1])
        assert healthcheck(port).returncode == 0
    stopped = healthcheck(port)
    assert stopped.returncode == 1
    assert stopped.stderr.startswith(f"credits-bot: http://127.0.0.1:{port}/healthz did not answer (")
    assert len(stopped.stderr.splitlines()) == 1


def test_the_health_check_fails_while_the_socket_is_disconnected(slack: FakeSlack, whmcs: FakeWhmcs) -> None:
    slack.methods["apps.connections.open"] = lambda args: (200, {"ok": False, "error": "internal_error"})
    env = serving_env(slack, whmcs) | {"SLACK_APP_TOKEN": APP_TOKEN}
    with procfile_process("worker", env) as (process, url):
        wait_healthy(url, process, status=503)
        port = int(url.rsplit(":", 1)[1])
        result = healthcheck(port)
    assert result.returncode == 1
    assert result.stderr == f"credits-bot: http://127.0.0.1:{port}/healthz answered 503\n"
