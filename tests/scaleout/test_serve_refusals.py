"""`leadline serve --workers N > 1` refuses to start where workers could not share their state."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner, Result

from leadline.cli import app


def serve(data_dir: Path, *args: str, **settings: str) -> Result:
    env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("LEADLINE_")}
    env |= {"LEADLINE_DATA_DIR": str(data_dir), "LEADLINE_CONFIG": str(data_dir / "absent.toml"), **settings}
    return CliRunner().invoke(app, ["serve", "--port", "1", *args], env=env)


def test_several_workers_on_the_embedded_duckdb_store_are_refused(tmp_path: Path) -> None:
    result = serve(tmp_path, "--workers", "2", LEADLINE_REDIS_URL="redis://127.0.0.1:1/0")
    assert result.exit_code == 2
    assert "the embedded DuckDB event store is single-process" in result.output


def test_several_workers_without_redis_are_refused(tmp_path: Path) -> None:
    result = serve(tmp_path, "--workers", "2", LEADLINE_EVENTS_URL="clickhouse://127.0.0.1:1/leadline")
    assert result.exit_code == 2
    assert "--workers 2 needs a Redis the workers share (LEADLINE_REDIS_URL=" in result.output


def test_the_worker_count_from_the_environment_is_refused_the_same_way(tmp_path: Path) -> None:
    result = serve(tmp_path, LEADLINE_WORKERS="3", LEADLINE_EVENTS_URL="clickhouse://127.0.0.1:1/leadline")
    assert result.exit_code == 2
    assert "--workers 3 needs a Redis" in result.output


def test_a_redis_url_of_another_scheme_is_refused_as_an_invalid_setting(tmp_path: Path) -> None:
    result = serve(tmp_path, LEADLINE_REDIS_URL="http://127.0.0.1:6379")
    assert result.exit_code == 2
    assert "not a Redis URL such as redis://127.0.0.1:6379/0" in result.output


def test_a_redis_that_does_not_answer_stops_the_start_with_a_message_without_the_url(tmp_path: Path) -> None:
    result = serve(tmp_path, LEADLINE_REDIS_URL="redis://:hunter2@127.0.0.1:1/0")
    assert result.exit_code == 2
    assert "the Redis of LEADLINE_REDIS_URL does not answer" in result.output
    assert "hunter2" not in result.output
