"""The engine-specific SQL fragments: everything else in the compiler is the same for every engine."""

from __future__ import annotations

from typing import Protocol

# Params belongs to the event store it is bound for; the compiler's modules take it from here with the dialects.
from leadline.store.events.base import Params as Params
from leadline.store.events.base import Setup as Setup


class Dialect(Protocol):
    name: str
    # Whether one statement may group by several grouping sets (GROUP BY GROUPING SETS, grouping(), QUALIFY):
    # then reports alike but for their field grouping run as one (see query/batch.py).
    grouping_sets: bool
    # Whether the store keeps settled sessions of closed days (settled_sessions, settled_days, pending_days):
    # then session metrics read those rows for settled days instead of grouping their hits.
    settled_sessions: bool
    # Whether the store keeps daily rollups of settled days (daily_rollups, quarter_hour_rollups, ...):
    # then long windows sum them for their settled middle (query/rolled.py).
    rollups: bool

    def params(self) -> Params: ...

    def count_if(self, condition: str) -> str: ...

    def arg_max(self, column: str, by: str) -> str: ...

    def arg_max_if(self, column: str, by: str, condition: str) -> str: ...

    def count_distinct(self, expression: str) -> str: ...

    def average(self, expression: str) -> str:
        """The mean; NULL (or 0) over no rows, never NaN."""
        ...

    def seconds_between(self, earlier: str, later: str) -> str: ...

    def stored_instant(self, column: str) -> str: ...

    def column_prefix(self, table: str) -> str:
        """How a query qualifies the columns of the hits table it names `table` (not those of a subquery)."""
        ...

    def join_on_session(self, subquery: str, table: str) -> str:
        """The join condition of a per-session subquery (visitor_id, session_id columns) to the hits `table`."""
        ...

    def shift_seconds(self, timestamp: str, seconds: str) -> str: ...

    def from_unix_seconds(self, seconds: str) -> str: ...

    def truncate(self, unit: str, timestamp: str) -> str: ...

    def contains_case_insensitive(self, column: str, needle: str) -> str: ...

    def regex_matches(self, column: str, pattern: str) -> str: ...


class DuckDBDialect:
    name = "duckdb"
    grouping_sets = True
    settled_sessions = True
    rollups = True

    def params(self) -> Params:
        return Params("qmark")

    def count_if(self, condition: str) -> str:
        return f"count(*) FILTER (WHERE {condition})"

    def arg_max(self, column: str, by: str) -> str:
        return f"arg_max({column}, {by})"

    def arg_max_if(self, column: str, by: str, condition: str) -> str:
        return f"arg_max({column}, {by}) FILTER (WHERE {condition})"

    def count_distinct(self, expression: str) -> str:
        return f"count(DISTINCT {expression})"

    def average(self, expression: str) -> str:
        return f"avg({expression})"

    def seconds_between(self, earlier: str, later: str) -> str:
        return f"(epoch_us({later}) - epoch_us({earlier})) / 1000000.0"

    def stored_instant(self, column: str) -> str:
        return column

    def column_prefix(self, table: str) -> str:
        return f"{table}."

    def join_on_session(self, subquery: str, table: str) -> str:
        return f"ON {subquery}.visitor_id = {table}.visitor_id AND {subquery}.session_id = {table}.session_id"

    def shift_seconds(self, timestamp: str, seconds: str) -> str:
        return f"({timestamp} + to_seconds(CAST({seconds} AS BIGINT)))"

    def from_unix_seconds(self, seconds: str) -> str:
        return f"make_timestamp(CAST({seconds} AS BIGINT) * 1000000)"

    def truncate(self, unit: str, timestamp: str) -> str:
        return f"date_trunc('{unit}', {timestamp})"

    def contains_case_insensitive(self, column: str, needle: str) -> str:
        return f"contains(lower({column}), lower({needle}))"

    def regex_matches(self, column: str, pattern: str) -> str:
        return f"regexp_matches({column}, {pattern})"


class ClickHouseDialect:
    """Sticks to what ClickHouse 18.16 (Debian's package) and current releases both accept.

    18.16 has no DateTime64, so the ClickHouse store keeps each instant as UInt64 Unix microseconds (UTC) in
    `timestamp`: comparisons, ordering and spans are integer arithmetic, and only date keys convert to DateTime.
    Instants are bound as datetimes; the store binds them as microseconds too (see ClickHouseEventStore.fetch).
    18.16 has no server-side parameters either: `%(name)s` placeholders, escaped by clickhouse-driver.
    """

    name = "clickhouse"
    grouping_sets = False  # 18.16 has neither GROUPING SETS nor window functions
    settled_sessions = False  # the MergeTree tables are the layout (sessions on one shard, in sort order)
    rollups = False

    def params(self) -> Params:
        return Params("pyformat")

    def count_if(self, condition: str) -> str:
        return f"countIf({condition})"

    def arg_max(self, column: str, by: str) -> str:
        return f"argMax({column}, {by})"

    def arg_max_if(self, column: str, by: str, condition: str) -> str:
        return f"argMaxIf({column}, {by}, {condition})"

    def count_distinct(self, expression: str) -> str:
        return f"uniqExact({expression})"

    def average(self, expression: str) -> str:
        # ClickHouse's avg of no rows is NaN (and 18.16 has no avgOrNull): 0 then, as coalesce makes it elsewhere.
        return f"(sum({expression}) / greatest(count(), 1))"

    def seconds_between(self, earlier: str, later: str) -> str:
        return f"(toInt64({later}) - toInt64({earlier})) / 1000000.0"

    def stored_instant(self, column: str) -> str:
        return f"toDateTime(intDiv({column}, 1000000), 'UTC')"

    def column_prefix(self, table: str) -> str:
        # 18.16 sends each shard the query with its Distributed table renamed to the local one and the alias
        # lost: a column qualified by the alias is then unknown. Unqualified names are the hits table's: every
        # column a joined subquery adds has a name of its own, and its session keys are joined with USING.
        return ""

    def join_on_session(self, subquery: str, table: str) -> str:
        return "USING (visitor_id, session_id)"

    def shift_seconds(self, timestamp: str, seconds: str) -> str:
        return f"addSeconds({timestamp}, {seconds})"

    def from_unix_seconds(self, seconds: str) -> str:
        return f"toDateTime({seconds}, 'UTC')"

    def truncate(self, unit: str, timestamp: str) -> str:
        # Every bucket a DateTime: toStartOfMonth and toStartOfYear give Dates, the other engines timestamps.
        function = {"hour": "toStartOfHour", "day": "toStartOfDay", "month": "toStartOfMonth", "year": "toStartOfYear"}
        if unit in ("hour", "day"):
            return f"{function[unit]}({timestamp}, 'UTC')"
        return f"toDateTime({function[unit]}({timestamp}), 'UTC')"

    def contains_case_insensitive(self, column: str, needle: str) -> str:
        return f"positionCaseInsensitiveUTF8({column}, {needle}) > 0"

    def regex_matches(self, column: str, pattern: str) -> str:
        # In a group: 18.16 checks a literal it finds at the pattern's top level before running RE2, and checks
        # it case-sensitively whatever the flags say ('(?i)chrome' never matched 'Chrome'); inside a group it
        # finds none. The same matches on every version.
        return f"match({column}, concat('(?:', {pattern}, ')'))"


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDBDialect(), "clickhouse": ClickHouseDialect()}
