"""The site dashboard's whole view state, read from and written to the URL (so a view can be bookmarked)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from leadline.dashboard.panels import CHART_METRICS, FILTER_FIELDS, MORE_ROWS, PANELS_BY_NAME, TOP_ROWS
from leadline.dashboard.ranges import CUSTOM, DateRange, RangeError, choose_interval, resolve_range
from leadline.query.model import MAX_FILTER_VALUE_LENGTH, MAX_FILTERS

Filter = tuple[str, str]  # (field, value): rows filter with the operator "is"


class StateError(ValueError):
    """A URL the dashboard cannot show; the message names the parameter."""


@dataclass(frozen=True, slots=True)
class SiteState:
    span: DateRange
    interval: str
    metric: str
    filters: tuple[Filter, ...]
    embed: bool = False
    more: str | None = None  # a panel shown with up to MORE_ROWS rows

    def filters_json(self) -> str:
        """The filters as `/v1/aggregations` takes them."""
        return json.dumps([{"field": field, "operator": "is", "value": value} for field, value in self.filters])

    def query(self, **changes: object) -> str:
        """The query string of this state with `changes` applied (e.g. `metric="visits"`), starting with "?"."""
        state = replace(self, **changes)  # type: ignore[arg-type]
        pairs: list[tuple[str, str]] = []
        if state.span.key == CUSTOM:
            pairs += [("range", CUSTOM), ("from", state.span.first.isoformat()), ("to", state.span.last.isoformat())]
        else:
            pairs.append(("range", state.span.key))
        pairs.append(("metric", state.metric))
        if state.interval:  # empty: the next page picks the interval that fits its range
            pairs.append(("interval", state.interval))
        pairs += [("filter", f"{field}:{value}") for field, value in state.filters]
        if state.more:
            pairs.append(("more", state.more))
        if state.embed:
            pairs.append(("embed", "true"))
        return "?" + urlencode(pairs)

    def with_filter(self, field: str, value: str) -> str:
        kept = tuple(item for item in self.filters if item[0] != field)
        return self.query(filters=(*kept, (field, value)), more=None)

    def without_filter(self, field: str, value: str) -> str:
        return self.query(filters=tuple(item for item in self.filters if item != (field, value)))


def parse_filter(raw: str) -> Filter:
    field, separator, value = raw.partition(":")
    if not separator or field not in FILTER_FIELDS:
        raise StateError(f"filter must be FIELD:VALUE with FIELD one of: {', '.join(FILTER_FIELDS)}")
    if len(value) > MAX_FILTER_VALUE_LENGTH or "\x00" in value:
        raise StateError(f"filter values are at most {MAX_FILTER_VALUE_LENGTH} characters, without NUL")
    return field, value


def parse_state(params: QueryParams | Mapping[str, str], today: date, earliest: date | None) -> SiteState:
    """The view the URL asks for, on the site's local `today`; `earliest` is the site's first day of data."""
    raw_filters = params.getlist("filter") if isinstance(params, QueryParams) else []
    if len(raw_filters) > MAX_FILTERS:
        raise StateError(f"at most {MAX_FILTERS} filters")
    try:
        span = resolve_range(params.get("range"), params.get("from"), params.get("to"), today, earliest)
    except RangeError as error:
        raise StateError(str(error)) from error
    metric = params.get("metric") or "uniques"
    if metric not in CHART_METRICS:
        raise StateError(f"metric must be one of: {', '.join(CHART_METRICS)}")
    more = params.get("more") or None
    if more is not None and more not in PANELS_BY_NAME:
        raise StateError(f"more must be a panel: {', '.join(PANELS_BY_NAME)}")
    # One filter per field: a second value of a field replaces the first (rows of two pages never overlap).
    filters = dict(parse_filter(raw) for raw in raw_filters)
    return SiteState(
        span=span,
        interval=choose_interval(span, params.get("interval")),
        metric=metric,
        filters=tuple(filters.items()),
        embed=(params.get("embed") or "").lower() in ("true", "1"),
        more=more,
    )


def row_limit(state: SiteState, panel: str) -> int:
    return MORE_ROWS if state.more == panel else TOP_ROWS
