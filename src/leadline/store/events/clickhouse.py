"""The server-backed event store: hits in ClickHouse, one server or a cluster of shards (clickhouse-driver, native
protocol, which ClickHouse 18.16 speaks as well as current releases do)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

import pyarrow as pa

from leadline.store.events.base import (
    HIT_ARROW_SCHEMA,
    HIT_COLUMNS,
    EventStoreTimeoutError,
    Hit,
    HitKind,
    HitRow,
    Params,
    Setup,
    hit_to_row,
    in_whole_seconds,
    is_lasting_batch,
)
from leadline.store.events.clickhouse_connection import (
    ClientPool,
    ServerAddress,
    bound,
    new_client,
    parse_clickhouse_url,
    translated_errors,
)
from leadline.store.events.clickhouse_schema import (
    BATCHES,
    DAY,
    HITS,
    MIGRATIONS,
    SCHEMA_TABLE,
    SCHEMA_TABLE_DDL,
    SITE_BOUNDS,
    STORED_COLUMNS,
    Layout,
    ServerFeatures,
    distributed_tables,
)
from leadline.store.events.spooled_rows import SpooledBatch

POOL_SIZE = 8
MUTATION_TIMEOUT_SECONDS = 120.0
MUTATION_POLL_SECONDS = 0.05

# How long a stored segment's id is remembered: far longer than a spool segment can wait to be replayed.
BATCH_MEMORY_SECONDS = 62 * 86400
# Lasting batches (base.is_lasting_batch) are recorded at this time: their month's partition is never old enough
# to be dropped (DateTime reaches 2105 on every ClickHouse version).
LASTING_RECORDED_AT = datetime(2105, 1, 1, tzinfo=UTC)

# A spool segment's progress in `stored_batches` (the highest state recorded wins).
STARTED, STORED = 1, 2
UNBATCHED = 0  # `batch` of hits inserted without a batch id (insert_hits)


def batch_number(batch_id: str) -> int:
    """A batch id as the UInt64 stored with each of its rows (never UNBATCHED)."""
    return int.from_bytes(hashlib.blake2b(batch_id.encode(), digest_size=8).digest(), "big") or 1


class ClickHouseEventStore:
    """Hits in ClickHouse. Reports name `hits`: a MergeTree on a single server, a Distributed table on a cluster.

    Opening it creates or upgrades the tables on every server of the cluster (listed in `system.clusters`);
    the servers' version decides which newer column features the tables use.
    """

    dialect = "clickhouse"

    def __init__(self, address: ServerAddress) -> None:
        self.address = address
        self.layout = Layout(database=address.database, cluster=address.cluster)
        self.servers = self._servers()
        self.features = self._migrate()
        self._pool = ClientPool(address, POOL_SIZE)

    @classmethod
    def from_url(cls, url: str) -> ClickHouseEventStore:
        return cls(parse_clickhouse_url(url))

    # Schema ---------------------------------------------------------------------------------------------------

    def _servers(self) -> list[ServerAddress]:
        """Every server that holds a part of the hits: the cluster's shards and replicas, or the one server."""
        if self.address.cluster is None:
            return [self.address]
        client = new_client(self.address, database="system")
        try:
            with translated_errors(self.address):
                rows = client.execute(
                    "SELECT host_address, port FROM system.clusters WHERE cluster = %(cluster)s "
                    "ORDER BY shard_num, replica_num",
                    {"cluster": self.address.cluster},
                )
        finally:
            client.disconnect()
        if not rows:
            raise ValueError(
                f"ClickHouse at {self.address.host}:{self.address.port} has no cluster {self.address.cluster!r}"
            )
        return [self.address.on(str(host), int(port)) for host, port in rows]

    def _migrate(self) -> ServerFeatures:
        """Create the database and bring each server's tables to the newest version; then the Distributed tables.

        Safe to run from several workers at once: every statement is idempotent (IF NOT EXISTS), and a version
        recorded twice is still that version.
        """
        versions: list[ServerFeatures] = []
        for server in self.servers:
            client = new_client(server, database="default")
            try:
                with translated_errors(server):
                    versions.append(ServerFeatures.from_version_text(str(client.execute("SELECT version()")[0][0])))
                    client.execute(f"CREATE DATABASE IF NOT EXISTS {self.layout.database}")
            finally:
                client.disconnect()
        features = min(versions, key=lambda found: found.version)
        for server in self.servers:
            client = new_client(server)
            try:
                with translated_errors(server):
                    client.execute(SCHEMA_TABLE_DDL)
                    reached = int(client.execute(f"SELECT max(version) FROM {SCHEMA_TABLE}")[0][0] or 0)
                    for number, migration in enumerate(MIGRATIONS[reached:], start=reached + 1):
                        for statement in migration(self.layout, features):
                            client.execute(statement)
                        client.execute(f"INSERT INTO {SCHEMA_TABLE} (version) VALUES", [(number,)])
                    for statement in distributed_tables(self.layout):
                        client.execute(statement)
                    self._forget_old_batches(client)
            finally:
                client.disconnect()
        return features

    def _forget_old_batches(self, client: Any) -> None:
        """Drop the bookkeeping of segments stored months ago (a month per partition): no spool keeps a segment
        that long, so none of them can be offered again."""
        old = client.execute(
            "SELECT DISTINCT partition FROM system.parts WHERE active AND database = %(database)s "
            "AND table = %(table)s AND toUInt32(partition) < toYYYYMM(now() - %(memory)s)",
            {"database": self.layout.database, "table": self.layout.batches_local, "memory": BATCH_MEMORY_SECONDS},
        )
        for (partition,) in old:
            client.execute(f"ALTER TABLE {self.layout.batches_local} DROP PARTITION {int(partition)}")

    def schema_versions(self) -> list[int]:
        """The schema version each server has reached (for operators and tests)."""
        return [int(rows[0][0]) for rows in self._on_each_server(f"SELECT max(version) FROM {SCHEMA_TABLE}", {})]

    def _on_each_server(self, sql: str, params: dict[str, object]) -> list[list[tuple[Any, ...]]]:
        answers = []
        for server in self.servers:
            client = new_client(server)
            try:
                with translated_errors(server):
                    answers.append(client.execute(sql, params))
            finally:
                client.disconnect()
        return answers

    # Reads ----------------------------------------------------------------------------------------------------

    def _query(self, sql: str, params: dict[str, object], **options: Any) -> Any:
        with self._pool.client() as client:
            return client.execute(sql, bound(params), **options)

    def fetch(
        self,
        sql: str,
        params: Params,
        timeout_seconds: float | None = None,
        setup: Sequence[Setup] = (),
        reads_from: int | None = None,  # the MergeTree tables are one tier: nothing to choose
    ) -> list[tuple[Any, ...]]:
        if params.style != "pyformat":
            raise ValueError("ClickHouse takes %(name)s parameters")
        if setup:
            raise ValueError("ClickHouse reports are one statement (its dialect asks for no setup)")
        if timeout_seconds is None:
            rows: list[tuple[Any, ...]] = self._query(sql, params.named)
            return rows
        deadline = time.monotonic() + timeout_seconds
        with self._pool.client(deadline) as client:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise EventStoreTimeoutError(f"the event store stayed busy for {timeout_seconds:g} s")
            # Whole seconds on 18.16; the server stops the query (and its shards' parts) past it.
            settings = {"max_execution_time": max(1, math.ceil(remaining)), "timeout_overflow_mode": "throw"}
            fetched: list[tuple[Any, ...]] = client.execute(sql, bound(params.named), settings=settings)
            return fetched

    def earliest_hit(self, site_id: str) -> int | None:
        # From each site's first hit as inserts recorded it (not a scan of its history); count() too: min of
        # no rows is 0 in ClickHouse, not NULL.
        count, first = self._query(
            f"SELECT count(), minMerge(first_hit) FROM {SITE_BOUNDS} WHERE site_id = %(site)s", {"site": site_id}
        )[0]
        return None if count == 0 else int(first) // 1_000_000

    def recent_sessions(self, since: datetime) -> list[tuple[str, int, int, float, float, bool]]:
        rows = self._query(
            "SELECT site_id, visitor_id, session_id, min(timestamp), max(timestamp), max(kind = 1) "
            f"FROM {HITS} WHERE timestamp >= %(since)s GROUP BY site_id, visitor_id, session_id",
            {"since": since},
        )
        return [
            (str(site), int(visitor), int(session), first / 1_000_000, last / 1_000_000, bool(entered))
            for site, visitor, session, first, last, entered in rows
        ]

    def count_hits(self, site_id: str, event_id: str | None = None) -> int:
        sql = f"SELECT count() FROM {HITS} WHERE site_id = %(site)s"
        params: dict[str, object] = {"site": site_id}
        if event_id is not None:
            sql, params = sql + " AND event_id = %(event)s", params | {"event": event_id}
        return int(self._query(sql, params)[0][0])

    def daily_counts(self, site_id: str) -> dict[date, int]:
        rows = self._query(
            f"SELECT {DAY} AS day, count() FROM {HITS} WHERE site_id = %(site)s GROUP BY day ORDER BY day",
            {"site": site_id},
        )
        return {day: int(count) for day, count in rows}

    def read_hits(self, site_id: str, start: datetime, end: datetime) -> pa.Table:
        columns = self._query(
            f"SELECT {', '.join(HIT_COLUMNS)} FROM {HITS} WHERE site_id = %(site)s "
            "AND timestamp >= %(start)s AND timestamp < %(end)s ORDER BY timestamp, visitor_id, session_id",
            {"site": site_id, "start": start, "end": end},
            columnar=True,
        )
        if not columns:
            return HIT_ARROW_SCHEMA.empty_table()
        arrays = []
        for values, field in zip(columns, HIT_ARROW_SCHEMA, strict=True):
            if field.name == "entry":
                values = [bool(value) for value in values]
            arrays.append(pa.array(values, type=field.type))
        return pa.Table.from_arrays(arrays, schema=HIT_ARROW_SCHEMA)

    # Writes ---------------------------------------------------------------------------------------------------

    def insert_hits(self, hits: Sequence[Hit]) -> None:
        if hits:
            rows = [hit_to_row(hit) for hit in hits]
            self._append(rows, UNBATCHED)

    def insert_spooled(self, batch_id: str, batch: SpooledBatch) -> bool:
        return self.insert_batch(batch_id, batch.rows())  # the driver sends Python rows

    def insert_batch(self, batch_id: str, rows: Sequence[HitRow]) -> bool:
        """Store a spool segment exactly once, without transactions.

        A 'started' mark precedes the rows and a 'stored' one follows them; each row carries its batch. A segment
        marked stored is skipped; one marked only started may be stored in full, in part (the process died, or a
        shard failed, mid-insert) or not at all: its rows are counted, and a part is deleted before the whole is
        inserted again (rare: a crash or an outage). An unreachable shard raises EventStoreUnavailableError:
        retry with the same id.
        """
        rows = in_whole_seconds(rows)
        batch = batch_number(batch_id)
        state = self._batch_state(batch_id)
        if state >= STORED:
            return False
        if state == STARTED:
            present = self._stored_count(batch, rows)
            if present == len(rows):
                self._mark(batch_id, batch, STORED)
                return False
            if present:
                self._delete("batch = %(batch)s", {"batch": batch})
        else:
            self._mark(batch_id, batch, STARTED)
        self._append(rows, batch)
        self._mark(batch_id, batch, STORED)
        return True

    def _batch_state(self, batch_id: str) -> int:
        rows = self._query(f"SELECT max(state) FROM {BATCHES} WHERE batch_id = %(batch_id)s", {"batch_id": batch_id})
        return int(rows[0][0] or 0) if rows else 0

    def _mark(self, batch_id: str, batch: int, state: int) -> None:
        with self._pool.client() as client:
            if is_lasting_batch(batch_id):  # in a partition of its own, never dropped (see _forget_old_batches)
                client.execute(
                    f"INSERT INTO {BATCHES} (batch_id, batch, state, recorded_at) VALUES",
                    [(batch_id, batch, state, LASTING_RECORDED_AT)],
                )
            else:
                client.execute(f"INSERT INTO {BATCHES} (batch_id, batch, state) VALUES", [(batch_id, batch, state)])

    def _stored_count(self, batch: int, rows: Sequence[HitRow]) -> int:
        """How many of a batch's rows are stored; the batch's own sites and time span bound the search."""
        if not rows:
            return 0
        moments = [cast(int, row[1]) for row in rows]  # Unix microseconds (base.HitRow)
        found = self._query(
            f"SELECT count() FROM {HITS} WHERE site_id IN %(sites)s AND timestamp >= %(first)s "
            "AND timestamp <= %(last)s AND batch = %(batch)s",
            {
                "sites": tuple({str(row[0]) for row in rows}),
                "first": min(moments),
                "last": max(moments),
                "batch": batch,
            },
        )
        return int(found[0][0])

    def _append(self, rows: Sequence[HitRow], batch: int) -> None:
        if not rows:
            return
        columns: list[list[object]] = [list(values) for values in zip(*rows, strict=True)]
        entry = HIT_COLUMNS.index("entry")
        columns[entry] = [int(bool(value)) for value in columns[entry]]
        columns.append([batch] * len(rows))
        with self._pool.client() as client:
            client.execute(f"INSERT INTO {HITS} ({', '.join(STORED_COLUMNS)}) VALUES", columns, columnar=True)

    def delete_site_data(self, site_id: str) -> None:
        self._delete("site_id = %(site)s", {"site": site_id})
        self._delete("site_id = %(site)s", {"site": site_id}, table=self.layout.site_bounds_local)

    def delete_event_data(self, site_id: str, event_id: str) -> None:
        self._delete(
            "site_id = %(site)s AND kind = %(kind)s AND event_id = %(event)s",
            {"site": site_id, "kind": int(HitKind.EVENT), "event": event_id},
        )

    def _delete(self, condition: str, params: dict[str, object], table: str | None = None) -> None:
        """Delete hits (or rows of another local `table`) on every server, and wait until done: mutations run
        in the background, and 18.16 cannot wait for them itself (no mutations_sync)."""
        table = table or self.layout.hits_local
        self._on_each_server(f"ALTER TABLE {table} DELETE WHERE {condition}", params)
        deadline = time.monotonic() + MUTATION_TIMEOUT_SECONDS
        pending_sql = (
            "SELECT count() FROM system.mutations WHERE database = %(database)s AND table = %(table)s AND is_done = 0"
        )
        while any(
            rows[0][0] for rows in self._on_each_server(pending_sql, {"database": self.layout.database, "table": table})
        ):
            if time.monotonic() > deadline:
                raise EventStoreTimeoutError(f"deleting hits took longer than {MUTATION_TIMEOUT_SECONDS:g} s")
            time.sleep(MUTATION_POLL_SECONDS)

    def close(self) -> None:
        self._pool.close()
