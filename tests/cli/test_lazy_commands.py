"""The `leadline` command loads each command's module only when that command runs.

A command pays for its own imports only (an operator command does not load the event store, Arrow or Redis),
while `--help`, typo suggestions and every command behave as if all were loaded.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from leadline.cli import COMMANDS, app, load_command
from tests.live_server import leadline_env


def test_every_command_loads_under_its_own_name() -> None:
    for name in COMMANDS:
        command = load_command(name)
        assert command.name == name
        assert command.help, f"{name} has no help"


def test_help_lists_every_command_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    positions = [result.output.index(f" {name} ") for name in COMMANDS]
    assert positions == sorted(positions)


def test_a_mistyped_command_is_refused_with_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["acounts", "list"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "Did you mean 'accounts'?" in result.output


def test_an_operator_command_imports_neither_the_event_store_nor_redis(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from leadline.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [name for name in ('pyarrow', 'duckdb', 'redis', 'leadline.store.events', 'leadline.app')"
        " if name in sys.modules]\n"
        "print('loaded:', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, "accounts", "list", "--json"],
        env=leadline_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
    assert "loaded: []" in result.stderr
