"""Fixtures of the DuckDB event store tests (compaction, cold tier): a store with its metadata, fresh per test or
one per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.test_duckdb_compaction import Stores


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[Stores]:
    built = Stores(tmp_path)
    yield built
    built.close()


@pytest.fixture(scope="module")
def shared_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("stores"))
    yield built
    built.close()
