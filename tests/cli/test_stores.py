"""Every store a `leadline` command opens is closed when the command ends, also when it fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Connection, Engine, event
from typer.testing import CliRunner, Result

from leadline.cli import app
from leadline.cli.event_stores import open_stores
from leadline.cli.output import fail
from leadline.cli.stores import metadata_store
from leadline.config import Settings


class EngineLog:
    """Every engine that connected, and every engine disposed of, while a test ran."""

    def __init__(self) -> None:
        self.connected: set[Engine] = set()
        self.disposed: set[Engine] = set()

    def on_connect(self, connection: Connection) -> None:
        self.connected.add(connection.engine)

    def on_dispose(self, engine: Engine) -> None:
        self.disposed.add(engine)


@pytest.fixture
def engines() -> Iterator[EngineLog]:
    log = EngineLog()
    # Listening on the Engine class sees the engines the command builds inside itself, with no patching.
    event.listen(Engine, "engine_connect", log.on_connect)
    event.listen(Engine, "engine_disposed", log.on_dispose)
    yield log
    event.remove(Engine, "engine_connect", log.on_connect)
    event.remove(Engine, "engine_disposed", log.on_dispose)


def run(data_dir: Path, *args: str, expect: int = 0) -> Result:
    """`leadline ARGS` in this process, with `data_dir` and nothing inherited from the environment's settings."""
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("LEADLINE_")}
    env |= {"LEADLINE_DATA_DIR": str(data_dir), "LEADLINE_CONFIG": str(data_dir / "absent.toml")}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == expect, result.output
    return result


def event_store_is_free(data_dir: Path) -> bool:
    """Whether another process can open the DuckDB file, which it cannot while this process holds it."""
    probe = f"import duckdb; duckdb.connect({str(data_dir / 'events.duckdb')!r}).close()"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, check=False).returncode == 0


def test_leaving_the_block_disposes_of_the_metadata_engine(tmp_path: Path, engines: EngineLog) -> None:
    with metadata_store(Settings(data_dir=tmp_path)) as store:
        store.accounts.list_all()
        assert store.engine not in engines.disposed
    assert store.engine in engines.disposed


def test_a_failure_inside_the_block_still_closes_the_stores(tmp_path: Path, engines: EngineLog) -> None:
    with pytest.raises(typer.Exit), open_stores(Settings(data_dir=tmp_path)) as stores:
        fail("refused")
    assert stores.metadata.engine in engines.disposed
    assert event_store_is_free(tmp_path)


def test_operator_commands_close_the_metadata_store_they_open(tmp_path: Path, engines: EngineLog) -> None:
    account = json.loads(run(tmp_path, "accounts", "create", "--name", "A", "--email", "a@a.test", "--json").stdout)
    site = json.loads(run(tmp_path, "sites", "create", "--account", account["id"], "--name", "S", "--json").stdout)
    run(tmp_path, "keys", "create", "--account", account["id"], "--permission", "*")
    run(tmp_path, "keys", "revoke", "NOPE", expect=2)  # a refusal leaves through `fail`
    run(tmp_path, "integrations", "create-client", "--account", account["id"], "--site", site["id"])
    for group in ("accounts", "sites", "keys", "integrations"):
        run(tmp_path, group, "list", *(() if group in ("accounts", "sites") else ("--account", account["id"])))
    assert len(engines.connected) >= 9
    assert engines.connected <= engines.disposed


def test_publish_closes_both_stores_also_when_it_refuses(tmp_path: Path, engines: EngineLog) -> None:
    account = json.loads(run(tmp_path, "accounts", "create", "--name", "A", "--email", "a@a.test", "--json").stdout)
    site = json.loads(run(tmp_path, "sites", "create", "--account", account["id"], "--name", "S", "--json").stdout)
    published = json.loads(run(tmp_path, "publish", "--site", site["id"], "--date", "2024-01-01", "--json").stdout)
    assert [entry["dataset"] for entry in published["publications"]] == ["daily_pages", "daily_sources", "daily_events"]
    assert event_store_is_free(tmp_path)
    refused = run(tmp_path, "publish", "--site", site["id"], "--date", "2999-01-01", expect=2)
    assert "has not ended yet" in refused.stderr
    assert event_store_is_free(tmp_path)
    assert engines.connected and engines.connected <= engines.disposed
