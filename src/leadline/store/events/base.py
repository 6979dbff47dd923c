"""What every event store engine provides, and the hit record they all store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Protocol, cast

import pyarrow as pa

if TYPE_CHECKING:  # spooled_rows reads this module's row format
    from leadline.store.events.spooled_rows import SpooledBatch


class EventStoreBusyError(RuntimeError):
    """The embedded event store is held by another process (DuckDB allows one writer process)."""


class EventStoreTimeoutError(RuntimeError):
    """A read ran past its time limit and was interrupted; the store stays usable."""


class EventStoreUnavailableError(RuntimeError):
    """A server of the event store (a ClickHouse shard) cannot be reached: retry later, nothing is lost by waiting.

    A batch that failed so may be stored in part; `insert_batch` with the same id completes it exactly once.
    """


# Batches that may be offered again at any time, not only while a spool segment can wait: an export imported
# twice, a migration run again months later. Their ids are remembered for good (one row per batch: a day of
# a site), where spool segments' ids are forgotten after a while.
LASTING_BATCH_PREFIXES = ("import:", "migrate:")


def is_lasting_batch(batch_id: str) -> bool:
    return batch_id.startswith(LASTING_BATCH_PREFIXES)


class HitKind(IntEnum):
    PAGEVIEW = 1
    EVENT = 2


@dataclass(frozen=True, slots=True)
class Hit:
    """One stored hit. Nothing here identifies a person: `visitor_id` is a salted hash that changes daily.

    Its instant is kept to the whole second (a finer one is cut to it here), as Plausible's and Umami's
    ClickHouse tables keep theirs (DateTime): no report shows less than a second, and the sub-second digits are
    noise that no encoding shrinks (2.8 of the 4.3 bytes a stored timestamp took).
    """

    site_id: str
    timestamp: datetime  # UTC, naive, whole seconds
    kind: HitKind
    visitor_id: int  # 64-bit keyed hash of (daily salt, site, IP, user agent)
    session_id: int  # the Unix second the session started; (visitor_id, session_id) names the session
    hostname: str
    pathname: str
    event_id: str = ""  # set for HitKind.EVENT
    value: int = 0  # event value in cents
    referrer_hostname: str = ""
    referrer_pathname: str = ""
    keyword: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    browser: str = ""
    operating_system: str = ""
    device_type: str = ""
    country_code: str = ""
    city: str = ""
    # The session's first pageview: sessions are counted, grouped and filtered by it (set at ingest).
    entry: bool = False
    # ISO 3166-2 subdivision code ("US-CA"); last, so rows spooled before it existed are a prefix
    # (spooled_rows.decode_row).
    region: str = ""

    def __post_init__(self) -> None:
        if self.timestamp.microsecond:
            object.__setattr__(self, "timestamp", self.timestamp.replace(microsecond=0))


HIT_COLUMNS: tuple[str, ...] = tuple(Hit.__dataclass_fields__)

# A session's exit page is the pathname of its last pageview: by instant, then (two pageviews in one second) the
# greater pathname, so that every engine and the oracle (query/oracle.py) name the same page. SQL that both
# DuckDB (a STRUCT) and ClickHouse (a tuple) compare element by element, for arg_max/argMax.
LAST_PAGEVIEW_ORDER = "(timestamp, pathname)"

_NON_TEXT_TYPES: dict[str, pa.DataType] = {
    "timestamp": pa.timestamp("us"),
    "kind": pa.uint8(),
    "visitor_id": pa.uint64(),
    "session_id": pa.uint64(),
    "value": pa.int64(),
    "entry": pa.bool_(),
}
# Hits as Arrow columns: how stores take batches in and hand a site's history out (export, migrate).
HIT_ARROW_SCHEMA = pa.schema([(name, _NON_TEXT_TYPES.get(name, pa.string())) for name in HIT_COLUMNS])

# The row format shared by the spool and the stores: values in HIT_COLUMNS order, the timestamp as Unix
# microseconds (UTC; whole seconds, see Hit) and the kind as an int. Rows skip building a Hit object per hit on
# the hot path.
HitRow = Sequence[object]
MICROSECONDS = 1_000_000


def in_whole_seconds(rows: Sequence[HitRow]) -> Sequence[HitRow]:
    """`rows` with each timestamp cut to its whole second, as stores keep them (see Hit): the same rows when they
    already are, as the collector writes them; rows spooled by an earlier version may hold microseconds."""
    if all(cast(int, row[1]) % MICROSECONDS == 0 for row in rows):
        return rows
    cut: list[HitRow] = []
    for row in rows:
        copy = list(row)
        copy[1] = cast(int, copy[1]) // MICROSECONDS * MICROSECONDS
        cut.append(copy)
    return cut


def hit_to_row(hit: Hit) -> list[object]:
    row: list[object] = [getattr(hit, name) for name in HIT_COLUMNS]
    row[1] = round(hit.timestamp.replace(tzinfo=UTC).timestamp()) * MICROSECONDS
    row[2] = int(hit.kind)
    return row


def row_to_hit(row: HitRow) -> Hit:
    values: list[Any] = list(row)
    values[1] = datetime(1970, 1, 1) + timedelta(microseconds=values[1])
    values[2] = HitKind(values[2])
    return Hit(*values)


@dataclass
class Params:
    """Bound parameters in the order (or under the names) an engine wants; user values never enter SQL text.

    Declared here, beside `EventStore.fetch` that takes them; the query compiler fills them in.
    """

    # "qmark" (DuckDB) or "pyformat" (ClickHouse: %(name)s, escaped by clickhouse-driver on the client, since
    # ClickHouse 18.16 has no server-side parameters; instants are bound as datetimes, stored as the store keeps them)
    style: str
    positional: list[object] = field(default_factory=list)
    named: dict[str, object] = field(default_factory=dict)

    def add(self, value: object, clickhouse_type: str) -> str:
        if self.style == "qmark":
            self.positional.append(value)
            if isinstance(value, datetime) and not value.microsecond:
                # As DuckDB keeps hits' instants (TIMESTAMP_S, see Hit): a TIMESTAMP would have the column cast
                # to it in every comparison, which DuckDB cannot check against a row group's zone map (a 30-day
                # range then reads every row group of the site). A whole second converts exactly.
                return "CAST(? AS TIMESTAMP_S)"
            return "?"
        name = f"p{len(self.named)}"
        self.named[name] = value
        return f"%({name})s"


# A statement a report runs first, in its snapshot (e.g. DuckDB's SET VARIABLE): its SQL and parameters.
Setup = tuple[str, Params]


class EventStore(Protocol):
    """The operations the rest of Leadline needs from an event store engine."""

    dialect: str  # the name of the SQL dialect its queries are compiled for ("duckdb", "clickhouse")

    def fetch(
        self,
        sql: str,
        params: Params,
        timeout_seconds: float | None = None,
        setup: Sequence[Setup] = (),
        reads_from: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run a compiled report query (read only) and return its rows; the `setup` statements (which return
        nothing) run before it, in the same snapshot. `reads_from`: the query reads no hit (nor settled session)
        before this Unix second, so a store may leave older parts of its layout out (DuckDB's cold tier).

        Past `timeout_seconds` (waiting for the store included) the query is interrupted: EventStoreTimeoutError.
        """

    def earliest_hit(self, site_id: str) -> int | None:
        """Unix second of a site's first hit, or None without hits."""

    def insert_hits(self, hits: Sequence[Hit]) -> None:
        """Append hits in one batch (never row by row)."""

    def insert_batch(self, batch_id: str, rows: Sequence[HitRow]) -> bool:
        """Append a batch of rows at most once: False (and nothing stored) if `batch_id` was stored before.

        A spool segment's id is remembered for a while (far longer than a segment can wait); one that
        `is_lasting_batch` is remembered for good.
        """

    def insert_spooled(self, batch_id: str, batch: SpooledBatch) -> bool:
        """`insert_batch` of a collector spool segment's hits: its records (spooled_rows.encode_row, a JSON array
        each) and the rows they encode."""

    def recent_sessions(self, since: datetime) -> list[tuple[str, int, int, float, float, bool]]:
        """(site, visitor, session, first and last hit as Unix time, has a pageview) of sessions with hits
        after `since` (UTC).

        A session's first hit may lie before `since`; then the earliest hit after it stands in, which can
        only shorten a session's remaining lifetime under the 24-hour cap (never merge two sessions).
        """

    def count_hits(self, site_id: str, event_id: str | None = None) -> int:
        """How many hits a site (or one of its events) has; for operators and tests."""

    def daily_counts(self, site_id: str) -> dict[date, int]:
        """How many hits a site has on each UTC day that has any (export manifests, migration checks)."""

    def read_hits(self, site_id: str, start: datetime, end: datetime) -> pa.Table:
        """A site's hits with `start <= timestamp < end` (UTC, naive), in HIT_ARROW_SCHEMA, ordered by timestamp."""

    def delete_site_data(self, site_id: str) -> None:
        """Remove every hit of a site (its sessions are made of them)."""

    def delete_event_data(self, site_id: str, event_id: str) -> None:
        """Remove the completions of one event, keeping everything else."""

    def close(self) -> None:
        """Release the engine (flushes and unlocks an embedded file)."""


def compact_closed_days(store: EventStore, closed_before: date, frozen_before: date | None = None) -> object:
    """Let the store compact its closed days (UTC, before `closed_before`), and keep its settled days before
    `frozen_before` in a cold tier, if its engine does that (DuckDB: `DuckDBEventStore.compact_closed_days`);
    other engines keep their own layout and skip it."""
    compact = getattr(store, "compact_closed_days", None)
    return None if compact is None else compact(closed_before, frozen_before)


@dataclass(frozen=True, slots=True)
class RollupState:
    """What a report summing a site's rollups must know first: whether the site is unsummable (its reports
    read the hits alone), and its pending days (numbered from 1970-01-01), whose rollups are not valid."""

    unsummable: bool
    pending: frozenset[int]


def rollup_state(store: EventStore, site_id: str) -> RollupState | None:
    """The site's rollup state if the store keeps rollups (DuckDB: `DuckDBEventStore.rollup_state`), else None."""
    state = getattr(store, "rollup_state", None)
    return None if state is None else cast(RollupState, state(site_id))


def memory_bytes(store: EventStore) -> int | None:
    """Memory an embedded engine holds in this process (DuckDB's buffer manager), or None for a server engine."""
    measure = getattr(store, "memory_bytes", None)
    return None if measure is None else int(measure())
