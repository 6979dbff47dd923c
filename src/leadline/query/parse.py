"""Turns `/v1/aggregations` parameters into a ReportQuery, with errors a user can act on."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import re2

from leadline.query.errors import QueryError as QueryError  # raised here; importers have long found it here
from leadline.query.limits import UNBOUNDED, ReportLimits
from leadline.query.model import (
    DATE_GROUPINGS,
    DIMENSIONS,
    EVENT_GROUPING,
    FILTER_OPERATORS,
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTERS,
    MAX_LIMIT,
    MAX_REGEX_LENGTH,
    METRICS,
    REGEX_OPERATORS,
    Entity,
    Filter,
    ReportQuery,
    SortKey,
)
from leadline.query.timezones import known_timezones

_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
# Both engines (DuckDB, ClickHouse) match with RE2, so patterns are checked by RE2 itself: linear-time
# matching means no pattern can hang them, and anything RE2 refuses is a 400 here instead of a 500 there.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # refused patterns are the user's input: keep them out of the log
# Instants a report may name: from the Unix epoch to the end of 2999. Wider ones (year 1, year 9999) would
# overflow date arithmetic in Python and in the engines; any real range is clamped to the site's data anyway.
EARLIEST_INSTANT = 0  # 1970-01-01 00:00:00 UTC
LATEST_INSTANT = 32503680000 - 1  # 2999-12-31 23:59:59 UTC
_DIGITS = re.compile(r"[0-9]{1,12}")


def _choices(options: tuple[str, ...]) -> str:
    return ", ".join(options)


def parse_entity(params: Mapping[str, str]) -> tuple[Entity, str, str | None]:
    """The entity, the site id and (for events) the event name: what must be known before the site is."""
    raw_entity = params.get("entity")
    if raw_entity is None:
        raise QueryError(f"entity is required: one of {_choices(tuple(e.value for e in Entity))}")
    try:
        entity = Entity(raw_entity)
    except ValueError as error:
        raise QueryError(f"entity must be one of: {_choices(tuple(e.value for e in Entity))}") from error
    if entity is Entity.PAGEVIEW:
        site_id = params.get("entity_id")
        if not site_id:
            raise QueryError("entity_id (the site id) is required when entity is pageview")
        return entity, site_id, None
    site_id, event_name = params.get("site_id"), params.get("entity_name")
    if not site_id:
        raise QueryError("site_id is required when entity is event")
    if not event_name:
        if params.get("field_grouping") == EVENT_GROUPING:
            return entity, site_id, None  # every event of the site, one row each
        raise QueryError("entity_name (the event name) is required when entity is event")
    return entity, site_id, event_name


def parse_report_query(
    params: Mapping[str, str], site_timezone: str, *, limits: ReportLimits = UNBOUNDED
) -> ReportQuery:
    """The whole query; `site_timezone` applies when the request names no timezone.

    `limits.max_rows` (when set) is the largest `limit` a request may ask for.
    """
    entity, site_id, event_name = parse_entity(params)
    timezone = _parse_timezone(params.get("timezone"), site_timezone)
    metrics = _parse_metrics(params.get("aggregates"), entity)
    date_grouping = _parse_choice(params, "date_grouping", DATE_GROUPINGS)
    field_grouping = _parse_choice(
        params, "field_grouping", (*DIMENSIONS, EVENT_GROUPING) if entity is Entity.EVENT else DIMENSIONS
    )
    date_from = _parse_instant(params.get("date_from"), "date_from", timezone)
    date_to = _parse_instant(params.get("date_to"), "date_to", timezone)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise QueryError("date_from must not be after date_to")
    sortable = (*metrics, *(["date"] if date_grouping else []), *([field_grouping] if field_grouping else []))
    return ReportQuery(
        entity=entity,
        site_id=site_id,
        event_name=event_name,
        metrics=metrics,
        timezone=timezone,
        date_from=date_from,
        date_to=date_to,
        date_grouping=date_grouping,
        field_grouping=field_grouping,
        filters=_parse_filters(params.get("filters")),
        sort=_parse_sort(params.get("sort_by"), sortable),
        limit=_parse_limit(params.get("limit"), MAX_LIMIT if limits.max_rows is None else limits.max_rows),
    )


def _parse_timezone(raw: str | None, default: str) -> str:
    if raw is None or raw == "":
        return default
    if raw not in known_timezones():
        raise QueryError(f"timezone {raw!r} is not a TZ database name such as 'America/New_York'")
    return raw


def _parse_metrics(raw: str | None, entity: Entity) -> tuple[str, ...]:
    allowed = METRICS[entity]
    if not raw:
        raise QueryError(f"aggregates is required: a comma-separated list of {_choices(allowed)}")
    names = tuple(dict.fromkeys(name.strip() for name in raw.split(",")))
    for name in names:
        if name not in allowed:
            raise QueryError(f"aggregates: {name!r} is not an aggregate of {entity.value}s; use {_choices(allowed)}")
    return names


def _parse_choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise QueryError(f"{name} must be one of: {_choices(allowed)}")
    return raw


def _parse_instant(raw: str | None, name: str, timezone: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    text = raw.strip()
    out_of_range = QueryError(f"{name} must lie between 1970-01-01 00:00:00 and 2999-12-31 23:59:59 UTC")
    if _DIGITS.fullmatch(text):
        seconds = int(text)
        if not EARLIEST_INSTANT <= seconds <= LATEST_INSTANT:
            raise out_of_range
        return datetime.fromtimestamp(seconds, UTC)
    if _LOCAL_DATETIME.fullmatch(text):
        try:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo(timezone))
        except ValueError as error:
            raise QueryError(f"{name}: {text!r} is not a real date and time") from error
        try:
            instant = local.timestamp()
        except (OverflowError, ValueError) as error:  # years 1 and 9999 can leave the range of datetime in UTC
            raise out_of_range from error
        if not EARLIEST_INSTANT <= instant <= LATEST_INSTANT:
            raise out_of_range
        return local
    raise QueryError(f"{name} must be a Unix timestamp or a 'YYYY-MM-DD HH:MM:SS' date in the request timezone")


def _parse_filters(raw: str | None) -> tuple[Filter, ...]:
    if raw is None or raw == "":
        return ()
    try:
        items: Any = json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise QueryError("filters must be a JSON array of {field, operator, value} objects") from error
    if not isinstance(items, list):
        raise QueryError("filters must be a JSON array of {field, operator, value} objects")
    if len(items) > MAX_FILTERS:
        raise QueryError(f"filters: at most {MAX_FILTERS} filters are allowed")
    return tuple(_parse_filter(index, item) for index, item in enumerate(items))


def _parse_filter(index: int, item: Any) -> Filter:
    where = f"filters[{index}]"
    if not isinstance(item, dict) or set(item) != {"field", "operator", "value"}:
        raise QueryError(f"{where} must be an object with exactly the keys field, operator and value")
    field, operator, value = item["field"], item["operator"], item["value"]
    if field not in DIMENSIONS:
        raise QueryError(f"{where}.field must be one of: {_choices(DIMENSIONS)}")
    if operator not in FILTER_OPERATORS:
        raise QueryError(f"{where}.operator must be one of: {_choices(FILTER_OPERATORS)}")
    if not isinstance(value, str):
        raise QueryError(f"{where}.value must be a string")
    if len(value) > MAX_FILTER_VALUE_LENGTH or "\x00" in value:
        raise QueryError(f"{where}.value must be at most {MAX_FILTER_VALUE_LENGTH} characters, without NUL")
    if operator in REGEX_OPERATORS:
        _check_regex(where, value)
    return Filter(field=field, operator=operator, value=value)


def _check_regex(where: str, pattern: str) -> None:
    if len(pattern) > MAX_REGEX_LENGTH:
        raise QueryError(f"{where}.value: regular expressions are limited to {MAX_REGEX_LENGTH} characters")
    try:
        re2.compile(pattern, _RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args and isinstance(error.args[0], bytes) else error
        raise QueryError(f"{where}.value is not a valid regular expression (RE2 syntax): {reason}") from error


def _parse_sort(raw: str | None, sortable: tuple[str, ...]) -> tuple[SortKey, ...]:
    if raw is None or raw == "":
        return ()
    keys = []
    for part in raw.split(","):
        key, _, direction = part.strip().partition(":")
        direction = direction or "asc"
        if key not in sortable or direction not in ("asc", "desc"):
            raise QueryError(f"sort_by must be KEY:asc or KEY:desc with KEY one of: {_choices(sortable)}")
        keys.append(SortKey(key=key, descending=direction == "desc"))
    return tuple(keys)


def _parse_limit(raw: str | None, largest: int) -> int | None:
    if raw is None or raw == "":
        return None
    text = raw.strip()  # int() accepts less around digits than strip() removes (e.g. "\x1f"): parse what was checked
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= largest:
        raise QueryError(f"limit must be an integer between 1 and {largest} (the most rows a report returns)")
    return int(text)
