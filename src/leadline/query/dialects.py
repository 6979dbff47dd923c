"""The engine-specific SQL fragments: everything else in the compiler is the same for every engine."""

from __future__ import annotations

from typing import Protocol

# Params belongs to the event store it is bound for; the compiler's modules take it from here with the dialects.
from leadline.store.events.base import Params as Params


class Dialect(Protocol):
    name: str

    def params(self) -> Params: ...

    def count_if(self, condition: str) -> str: ...

    def arg_max(self, column: str, by: str) -> str: ...

    def arg_max_if(self, column: str, by: str, condition: str) -> str: ...

    def count_distinct(self, expression: str) -> str: ...

    def seconds_between(self, earlier: str, later: str) -> str: ...

    def shift_seconds(self, timestamp: str, seconds: str) -> str: ...

    def from_unix_seconds(self, seconds: str) -> str: ...

    def truncate(self, unit: str, timestamp: str) -> str: ...

    def contains_case_insensitive(self, column: str, needle: str) -> str: ...

    def regex_matches(self, column: str, pattern: str) -> str: ...


class DuckDBDialect:
    name = "duckdb"

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

    def seconds_between(self, earlier: str, later: str) -> str:
        return f"(epoch_us({later}) - epoch_us({earlier})) / 1000000.0"

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
    """Sticks to functions that ClickHouse 18.16 (Debian's package) and current releases both accept."""

    name = "clickhouse"

    def params(self) -> Params:
        return Params("clickhouse")

    def count_if(self, condition: str) -> str:
        return f"countIf({condition})"

    def arg_max(self, column: str, by: str) -> str:
        return f"argMax({column}, {by})"

    def arg_max_if(self, column: str, by: str, condition: str) -> str:
        return f"argMaxIf({column}, {by}, {condition})"

    def count_distinct(self, expression: str) -> str:
        return f"uniqExact({expression})"

    def seconds_between(self, earlier: str, later: str) -> str:
        return f"(toUnixTimestamp64Micro({later}) - toUnixTimestamp64Micro({earlier})) / 1000000.0"

    def shift_seconds(self, timestamp: str, seconds: str) -> str:
        return f"addSeconds({timestamp}, {seconds})"

    def from_unix_seconds(self, seconds: str) -> str:
        return f"toDateTime({seconds}, 'UTC')"

    def truncate(self, unit: str, timestamp: str) -> str:
        function = {"hour": "toStartOfHour", "day": "toStartOfDay", "month": "toStartOfMonth", "year": "toStartOfYear"}
        return f"{function[unit]}({timestamp}, 'UTC')" if unit in ("hour", "day") else f"{function[unit]}({timestamp})"

    def contains_case_insensitive(self, column: str, needle: str) -> str:
        return f"positionCaseInsensitiveUTF8({column}, {needle}) > 0"

    def regex_matches(self, column: str, pattern: str) -> str:
        return f"match({column}, {pattern})"


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDBDialect(), "clickhouse": ClickHouseDialect()}
