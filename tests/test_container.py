"""The Dockerfile, checked without a Docker engine: what it runs, what it copies, what it leaves out.

The image's command must stay the Procfile's web command; every file it copies must exist and pass the
.dockerignore allow-list; the dependency step must produce pyproject.toml's dependencies; and its health check
must tell a serving process from one that is not.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

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


def arguments(keyword: str) -> list[str]:
    return [args for name, args in instructions() if name == keyword]


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
    copies = arguments("COPY")
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


def test_dependencies_are_installed_from_pyproject_before_the_code_is_copied(tmp_path: Path) -> None:
    steps = instructions()
    (extract,) = [
        args for name, args in steps if name == "RUN" and "requirements.txt" in args and "tomllib" in args
    ]
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    python = Path(sys.executable).parent
    subprocess.run(
        ["sh", "-c", extract],
        cwd=tmp_path,
        env={"PATH": f"{python}{os.pathsep}{os.environ['PATH']}"},
        check=True,
        timeout=30,
    )
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert (tmp_path / "requirements.txt").read_text().splitlines() == expected
    order = [args for name, args in steps if name in ("COPY", "RUN")]
    assert order.index("pip install --requirement requirements.txt") < order.index("bot ./bot")


def test_runs_as_an_unprivileged_user_exposes_the_port_and_checks_health() -> None:
    steps = instructions()
    names = [name for name, _ in steps]
    (user,) = arguments("USER")
    assert user not in ("root", "0")
    assert names.index("USER") > max(i for i, name in enumerate(names) if name in ("RUN", "COPY"))
    assert arguments("EXPOSE") == ["3000"]
    assert "PORT=3000" in arguments("ENV")[0]
    (healthcheck,) = arguments("HEALTHCHECK")
    assert healthcheck.endswith('CMD ["python", "-m", "bot.serve.healthcheck"]')


def test_python_version_is_the_one_heroku_and_the_type_checker_use() -> None:
    version = (ROOT / ".python-version").read_text().strip()
    (base,) = arguments("FROM")
    assert base == f"python:{version}-slim"
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
