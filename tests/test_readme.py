"""The README's two commands work from a clean copy of the repository, and the README documents everything."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from leadline.cli import app as cli_app
from leadline.config import Settings
from tests.live_server import demo_output, free_port

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
NESTED = "LEADLINE_README_TEST_NESTED"
ONE_QUICK_TEST = "tests/api/test_sites.py::test_the_account_is_the_keys_owner"


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def clean_copy(destination: Path) -> Path:
    """The files a fresh clone would have (tracked and new, not ignored), with shared/ beside them."""
    files = (
        subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    checkout = destination / "main"
    for name in filter(None, files):
        source = ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    (destination / "shared").symlink_to(ROOT.parent / "shared")
    return checkout


def test_the_quick_start_has_exactly_two_commands() -> None:
    assert quick_start_commands() == ["make demo", "make test"]


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"LEADLINE_{name.upper()}" in README, name


def test_every_cli_command_is_documented() -> None:
    import typer.main

    group = typer.main.get_command(cli_app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subcommands = getattr(command, "commands", None)
        names += [f"leadline {name} {sub}" for sub in subcommands] if subcommands else [f"leadline {name}"]
    for name in names:
        assert f"`{name}" in README, name


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get(NESTED) == "1", reason="already inside the README test")
def test_the_two_commands_work_from_a_clean_checkout(tmp_path: Path) -> None:
    demo_command, test_command = quick_start_commands()
    checkout = clean_copy(tmp_path)
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LEADLINE_", "VIRTUAL_ENV"))}
    env |= {"LEADLINE_PORT": str(port), NESTED: "1", "COLUMNS": "200"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)

    with demo_output(demo_command, env, cwd=checkout) as printed:
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/account", headers={"Authorization": f"Bearer {printed['API key']}"}
        )
    assert response.status_code == 200 and response.json()["object"] == "account"

    # The test command, limited to one quick test so the suite does not run itself recursively. Named by its node
    # id, not selected with -k: then each worker collects one module instead of all of them (21 s each).
    env["PYTEST_ADDOPTS"] = f"{ONE_QUICK_TEST} -p no:cacheprovider"
    # Its lint starts from this checkout's mypy cache, where there is one: a cache only saves time (mypy checks
    # again whatever differs, its own venv's packages included), and a cold strict check takes 40 s or more.
    if (ROOT / ".mypy_cache").is_dir():
        shutil.copytree(ROOT / ".mypy_cache", checkout / ".mypy_cache")
    result = subprocess.run(
        test_command, shell=True, cwd=checkout, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
