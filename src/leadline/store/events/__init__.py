"""The event store: hits (pageviews and event completions), sessions read from them, behind one small interface."""

from __future__ import annotations

from leadline.store.events.base import EventStore, EventStoreBusyError, Hit, HitKind, Params


def open_event_store(url: str) -> EventStore:
    """The event store at `url` (`duckdb:///path/to/file.duckdb`; ClickHouse comes with scale-out)."""
    scheme, _, location = url.partition("://")
    if scheme == "duckdb":
        from leadline.store.events.duckdb import DuckDBEventStore

        return DuckDBEventStore(location.removeprefix("/") if location.startswith("//") else location)
    raise ValueError(f"unsupported event store URL scheme {scheme!r} (expected duckdb://)")


__all__ = ["EventStore", "EventStoreBusyError", "Hit", "HitKind", "Params", "open_event_store"]
