"""`python -m build` gives a wheel and an sdist with everything inside; the wheel installs into a clean venv and
serves from there (nothing of the checkout on its path)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.live_server import free_port
from tests.test_readme import clean_copy

pytestmark = pytest.mark.slow

BUILD_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class Built:
    checkout: Path
    wheel: Path
    sdist: Path


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the development venv or any Leadline setting."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LEADLINE_", "VIRTUAL_ENV", "PYTHON")) and key != "PYTEST_ADDOPTS"
    }
    env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part)
    env.update(extra or {})
    return env


def run(command: list[str], cwd: Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=dict(env or clean_environment()),
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def registry_answers(directory: Path) -> bool:
    """Whether the package registry serves what the build and the install need (setuptools, to begin with)."""
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(directory), "setuptools>=77"],
        env=clean_environment({"PIP_DEFAULT_TIMEOUT": "15", "PIP_RETRIES": "0"}),
        capture_output=True,
        timeout=120,
    )
    return probe.returncode == 0


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = tmp_path_factory.mktemp("packaging")
    if not registry_answers(root / "probe"):
        pytest.skip("the package registry does not answer: the build's and the install's dependencies come from it")
    checkout = clean_copy(root)
    # Isolated: the build's own setuptools comes from the registry, as on any machine that builds Leadline.
    run([sys.executable, "-m", "build", "--outdir", str(root / "dist"), str(checkout)], cwd=root)
    (wheel,) = (root / "dist").glob("leadline-*.whl")
    (sdist,) = (root / "dist").glob("leadline-*.tar.gz")
    return Built(checkout, wheel, sdist)


def package_files(checkout: Path) -> set[str]:
    """Every file of the package in the checkout, as `leadline/...`."""
    package = checkout / "src" / "leadline"
    return {
        "leadline/" + path.relative_to(package).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_file_of_the_package(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
    assert package_files(built.checkout) - names == set()
    for data_file in ("collect/script.js", "api/openapi.yaml", "integrations/graphql/schema.graphql", "py.typed"):
        assert f"leadline/{data_file}" in names
    assert any(name.startswith("leadline/store/migrations/versions/") for name in names)
    assert any(name.startswith("leadline/dashboard/templates/") for name in names)


def test_the_sdist_holds_the_package_the_docs_and_the_deployment_examples(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"src/" + name for name in package_files(built.checkout)} - names == set()
    assert {"README.md", "ARCHITECTURE.md", "pyproject.toml", "deploy/leadline.service", "deploy/README.md"} <= names


@pytest.fixture
def installed(built: Built, tmp_path: Path) -> Path:
    """A fresh venv with the wheel (and its dependencies) installed: its bin directory."""
    venv = tmp_path / "venv"
    # The development venv's uv installs into the new one (`--python`), which so needs no pip of its own; from
    # uv's cache and without compiling .pyc ahead, in seconds. What is installed is what pip would install.
    # uv reads no pip.conf: where only pip reaches the registry (as in the Makefile), pip installs instead.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = str(venv / "bin" / "python")
    uv = str(Path(sys.executable).with_name("uv"))
    by_uv = subprocess.run(
        [uv, "pip", "install", "--python", python, "--quiet", str(built.wheel)],
        cwd=tmp_path,
        env=clean_environment(),
        capture_output=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    if by_uv.returncode != 0:
        pip = [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-compile"]
        run([*pip, str(built.wheel)], tmp_path)
    return venv / "bin"


def test_the_installed_wheel_serves_the_script_and_the_api(installed: Path, built: Built, tmp_path: Path) -> None:
    env = clean_environment({"LEADLINE_DATA_DIR": str(tmp_path / "data"), "LEADLINE_CONFIG": str(tmp_path / "no.toml")})
    location = run([str(installed / "python"), "-c", "import leadline; print(leadline.__file__)"], tmp_path, env)
    assert location.stdout.startswith(str(installed.parent)), "leadline was imported from outside the fresh venv"
    leadline = str(installed / "leadline")
    account = json.loads(
        run([leadline, "accounts", "create", "--name", "A", "--email", "a@a.test", "--json"], tmp_path, env).stdout
    )
    key = json.loads(
        run(
            [leadline, "keys", "create", "--account", account["id"], "--permission", "*", "--json"], tmp_path, env
        ).stdout
    )["key"]
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [leadline, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=log
        )
    try:
        base = f"http://127.0.0.1:{port}"
        ready = wait_until_ready(base, server, log_path)
        assert ready.json() == {"status": "ready"}
        script = httpx.get(base + "/script.js")
        assert script.status_code == 200
        assert script.text == (built.checkout / "src/leadline/collect/script.js").read_text()
        account_answer = httpx.get(base + "/v1/account", headers={"Authorization": f"Bearer {key}"})
        assert account_answer.status_code == 200 and account_answer.json()["id"] == account["id"]
        assert httpx.get(base + "/v1/openapi.json").status_code == 200  # openapi.yaml is in the package
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_until_ready(base: str, server: subprocess.Popen[bytes], log_path: Path) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"leadline serve exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            answer = httpx.get(base + "/health/ready", timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
            continue
        if answer.status_code == 200:
            return answer
        time.sleep(0.2)
    raise AssertionError(f"leadline serve was not ready within 60 s:\n{log_path.read_text()}")
