"""The ClickHouse tables of the event store, per server version, and the migrations that create and upgrade them.

One layout serves a single server and a sharded cluster. On a cluster every shard holds MergeTree tables
(`hits_local`, `stored_batches_local`, `site_bounds_local`) and every shard also gets `Distributed` tables
(`hits`, `stored_batches`, `site_bounds`) over them, so any server can take queries; on a single server the
names without `_local` are the MergeTree tables themselves. Queries always name `hits`.

ClickHouse 18.16 (Debian 12's package) has no DateTime64, no column codecs and only an experimental
LowCardinality: instants are UInt64 Unix microseconds (UTC) everywhere, and codecs and LowCardinality are used
only on servers whose version supports them (the oldest server of a cluster decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from leadline.store.events.base import HIT_COLUMNS

HITS = "hits"
BATCHES = "stored_batches"
SITE_BOUNDS = "site_bounds"
SCHEMA_TABLE = "leadline_schema"

# The stored form of each Hit field; text fields not named here are String.
HIT_TYPES: dict[str, str] = {
    "timestamp": "UInt64",  # Unix microseconds, UTC
    "kind": "UInt8",
    "visitor_id": "UInt64",
    "session_id": "UInt64",
    "value": "Int64",
    "entry": "UInt8",
}
# Which spool segment stored each row: what lets a replayed segment land exactly once. (Not its position in the
# segment too: 4 more bytes a hit, incompressible in visitor order, for a repair that a rare delete does as well.)
BATCH_COLUMNS: tuple[tuple[str, str], ...] = (("batch", "UInt64"),)
STORED_COLUMNS: tuple[str, ...] = (*HIT_COLUMNS, *(name for name, _ in BATCH_COLUMNS))

# Text columns with few distinct values: dictionary-encoded where the server supports it well.
FEW_VALUES = frozenset(
    {"site_id", "hostname", "event_id", "browser", "operating_system", "device_type", "country_code", "region"}
)
# Numbers that change little from row to row in the sort order: delta-coded where codecs exist.
SLOWLY_CHANGING = frozenset({"timestamp", "session_id"})

SECOND = "intDiv(timestamp, 1000000)"
DAY = f"toDate(toDateTime({SECOND}, 'UTC'))"


@dataclass(frozen=True, slots=True)
class ServerFeatures:
    """What the ClickHouse servers can do, from the oldest one's version."""

    version: tuple[int, ...]

    @property
    def low_cardinality(self) -> bool:
        return self.version >= (19, 9)  # experimental (behind a setting) before 19

    @property
    def codecs(self) -> bool:
        return self.version >= (20, 1)  # CODEC(...) is a syntax error on 18.16

    @classmethod
    def from_version_text(cls, text: str) -> ServerFeatures:
        return cls(tuple(int(part) for part in re.findall(r"\d+", text)[:3]))


@dataclass(frozen=True, slots=True)
class Layout:
    """Table names on one server, and the cluster the Distributed tables span (None on a single server)."""

    database: str
    cluster: str | None

    @property
    def hits_local(self) -> str:
        return f"{HITS}_local" if self.cluster else HITS

    @property
    def batches_local(self) -> str:
        return f"{BATCHES}_local" if self.cluster else BATCHES

    @property
    def site_bounds_local(self) -> str:
        return f"{SITE_BOUNDS}_local" if self.cluster else SITE_BOUNDS


def _column_type(name: str, base: str, features: ServerFeatures) -> str:
    if name in FEW_VALUES and features.low_cardinality:
        base = f"LowCardinality({base})"
    if features.codecs:
        # Measured on current ClickHouse (chDB 26.9, 500k synthetic hits): 29.4 bytes a hit with LZ4 (the default),
        # 18.8 with ZSTD(1) on every column and Delta before it on the slowly changing ones.
        base += " CODEC(Delta, ZSTD(1))" if name in SLOWLY_CHANGING else " CODEC(ZSTD(1))"
    return base


def hits_table_ddl(table: str, features: ServerFeatures) -> str:
    """A MergeTree of hits: a partition per month, sorted for one site's time ranges.

    Within a site's day, rows are sorted by visitor: a visitor's hits lie together, which compresses them well
    and keeps a session's hits in a few granules; a time range still selects whole days through the index.
    (Measured on 18.16, 500k synthetic hits on 2 shards: 27.1 bytes a hit, against 28.3 sorted by (site, time).)
    """
    types = HIT_TYPES | dict(BATCH_COLUMNS)
    columns = ",\n    ".join(
        f"{name} {_column_type(name, types.get(name, 'String'), features)}" for name in STORED_COLUMNS
    )
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n    {columns}\n) ENGINE = MergeTree "
        f"PARTITION BY toYYYYMM(toDateTime({SECOND}, 'UTC')) ORDER BY (site_id, {DAY}, visitor_id, timestamp)"
    )


def batches_table_ddl(table: str) -> str:
    """Bookkeeping of spool segments: 'started' before a segment's rows are inserted, 'stored' after."""
    return (
        f"CREATE TABLE IF NOT EXISTS {table} "
        "(batch_id String, batch UInt64, state UInt8, recorded_at DateTime DEFAULT now()) "
        "ENGINE = MergeTree PARTITION BY toYYYYMM(recorded_at) ORDER BY batch_id"
    )


def distributed_ddl(table: str, local_table: str, layout: Layout, sharding_key: str) -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {table} AS {local_table} "
        f"ENGINE = Distributed({layout.cluster}, {layout.database}, {local_table}, {sharding_key})"
    )


def site_bounds_ddl(layout: Layout) -> list[str]:
    """Each site's first hit, kept up to date by every insert (a materialized view): reports clamp their window
    to it, and reading it from the hits would scan a site's whole history before each report.

    Deleting hits leaves it as it was, earlier than the true first hit at worst: a wider clamp, never a wrong
    answer; deleting a site deletes its row.
    """
    return [
        f"CREATE TABLE IF NOT EXISTS {layout.site_bounds_local} "
        "(site_id String, first_hit AggregateFunction(min, UInt64)) ENGINE = AggregatingMergeTree ORDER BY site_id",
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {layout.site_bounds_local}_feed TO {layout.site_bounds_local} "
        "AS SELECT toString(site_id) AS site_id, minState(timestamp) AS first_hit "
        f"FROM {layout.hits_local} GROUP BY site_id",
    ]


# Each entry upgrades one server's local tables by one version; each server records the version it reached.
# A later migration that changes columns must change the Distributed tables too (`layout.cluster` is set).
Migration = Callable[[Layout, ServerFeatures], list[str]]
MIGRATIONS: tuple[Migration, ...] = (
    lambda layout, features: [
        hits_table_ddl(layout.hits_local, features),
        batches_table_ddl(layout.batches_local),
        *site_bounds_ddl(layout),
    ],
)


def distributed_tables(layout: Layout) -> list[str]:
    """The Distributed tables over a cluster's local ones (none on a single server).

    Hits are sharded by a hash of (site, visitor): every hit of a visitor's sessions lies on one shard, so the
    per-session joins of reports run shard by shard (distributed_product_mode = 'local').
    """
    if layout.cluster is None:
        return []
    return [
        distributed_ddl(HITS, layout.hits_local, layout, "cityHash64(site_id, visitor_id)"),
        distributed_ddl(BATCHES, layout.batches_local, layout, "cityHash64(batch_id)"),
        distributed_ddl(SITE_BOUNDS, layout.site_bounds_local, layout, "cityHash64(site_id)"),
    ]


SCHEMA_TABLE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (version UInt32, applied_at DateTime) ENGINE = MergeTree "
    "ORDER BY version"
)
