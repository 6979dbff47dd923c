"""The ClickHouse form of the hits table: MergeTree ordered by (site, time), as the scale-out store uses it."""

from __future__ import annotations

from leadline.store.events.base import HIT_COLUMNS

CLICKHOUSE_TYPES: dict[str, str] = {
    "site_id": "LowCardinality(String)",
    "timestamp": "DateTime64(6, 'UTC')",
    "kind": "UInt8",
    "visitor_id": "UInt64",
    "session_id": "UInt64",
    "value": "Int64",
    "entry": "Bool",
}


def hits_table_ddl(table: str = "hits", engine: str = "MergeTree") -> str:
    columns = ",\n    ".join(f"{name} {CLICKHOUSE_TYPES.get(name, 'String')}" for name in HIT_COLUMNS)
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n    {columns}\n) ENGINE = {engine} "
        "PARTITION BY toYYYYMM(timestamp) ORDER BY (site_id, timestamp)"
    )


# Columns added after the first ClickHouse deployments, with the definition an older table gets them with.
ADDED_COLUMNS: tuple[tuple[str, str], ...] = (("region", "String DEFAULT ''"),)


def hits_table_upgrades(table: str = "hits") -> list[str]:
    """ALTER statements that bring a hits table made by an older `hits_table_ddl` to today's columns (idempotent)."""
    return [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {definition}" for name, definition in ADDED_COLUMNS]
