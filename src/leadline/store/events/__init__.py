"""The event store: hits (pageviews and event completions), sessions read from them, behind one small interface."""

from __future__ import annotations

from leadline.store.events.base import (
    EventStore,
    EventStoreBusyError,
    EventStoreUnavailableError,
    Hit,
    HitKind,
    Params,
)
from leadline.store.files import duckdb_file


def open_event_store(url: str) -> EventStore:
    """The event store at `url`: `duckdb:///path/to/file.duckdb` (embedded), or ClickHouse at
    `clickhouse://[USER[:PASSWORD]@]HOST:PORT/DATABASE[?cluster=NAME]` (without `cluster`, a single server)."""
    scheme = url.partition("://")[0]
    if scheme == "duckdb":
        from leadline.store.events.duckdb import DuckDBEventStore

        return DuckDBEventStore(duckdb_file(url) or "")
    if scheme == "clickhouse":
        from leadline.store.events.clickhouse import ClickHouseEventStore

        return ClickHouseEventStore.from_url(url)
    raise ValueError(f"unsupported event store URL scheme {scheme!r} (expected duckdb:// or clickhouse://)")


__all__ = [
    "EventStore",
    "EventStoreBusyError",
    "EventStoreUnavailableError",
    "Hit",
    "HitKind",
    "Params",
    "open_event_store",
]
