"""A dataset's rows for one day of one site, computed as `/v1/aggregations` requests through the query layer.

Every row is the answer of a report a REST client could ask for with the same parameters, converted to the
column's type, so published numbers and API numbers cannot disagree. Rows are sorted by their key columns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import orjson

from leadline.canonical import Cell
from leadline.publishing.datasets import DATASETS, ValueType
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import EventStore
from leadline.store.metadata.records import Site
from leadline.store.metadata.store import MetadataStore


def _metrics(dataset: str) -> tuple[str, ...]:
    """The dataset's metric columns (those after its key columns), named as the report's aggregates."""
    declared = DATASETS[dataset]
    return tuple(column.name for column in declared.columns[declared.key_count :])


PAGE_METRICS = _metrics("daily_pages")
SOURCE_METRICS = _metrics("daily_sources")
SOURCE_FIELDS = ("referrer_hostname", "utm_source", "utm_medium", "utm_campaign")
EVENT_METRICS = _metrics("daily_events")

Report = Callable[[dict[str, str]], list[dict[str, str]]]


def day_params(site: Site, day: date) -> dict[str, str]:
    """The `/v1/aggregations` parameters that select one whole day in the site's timezone."""
    return {
        "date_from": f"{day.isoformat()} 00:00:00",
        "date_to": f"{day.isoformat()} 23:59:59",
        "timezone": site.timezone,
    }


def pages_params(site: Site, day: date, hostname: str | None = None) -> dict[str, str]:
    """Pages of one day; without `hostname` the hostnames themselves, with it that hostname's pathnames."""
    params = {"entity": "pageview", "entity_id": site.id, "aggregates": ",".join(PAGE_METRICS), **day_params(site, day)}
    if hostname is None:
        return {**params, "aggregates": "pageviews", "field_grouping": "hostname"}
    filters = [{"field": "hostname", "operator": "is", "value": hostname}]
    return {**params, "field_grouping": "pathname", "filters": orjson.dumps(filters).decode()}


def sources_params(site: Site, day: date, field: str) -> dict[str, str]:
    aggregates = ",".join(SOURCE_METRICS)
    return {"entity": "pageview", "entity_id": site.id, "aggregates": aggregates, "field_grouping": field} | (
        day_params(site, day)
    )


def events_params(site: Site, day: date) -> dict[str, str]:
    """Every event of one day in one report, a row per event (events without completions have none)."""
    aggregates = ",".join(EVENT_METRICS)
    return {"entity": "event", "site_id": site.id, "field_grouping": "event", "aggregates": aggregates} | (
        day_params(site, day)
    )


def _typed(dataset: str, row: dict[str, str], day: date) -> list[Cell]:
    cells: list[Cell] = []
    for column in DATASETS[dataset].columns:
        if column.value_type is ValueType.DATE:
            cells.append(day.isoformat())
            continue
        text = row[column.name]
        if column.value_type is ValueType.INT:
            cells.append(int(text))
        elif column.value_type is ValueType.FLOAT:
            cells.append(float(text))
        else:
            cells.append(text)
    return cells


def _pages(report: Report, site: Site, day: date) -> list[dict[str, str]]:
    rows = []
    for host in report(pages_params(site, day)):
        for page in report(pages_params(site, day, host["hostname"])):
            rows.append({"hostname": host["hostname"], **page})
    return rows


def _sources(report: Report, site: Site, day: date) -> list[dict[str, str]]:
    rows = []
    for field in SOURCE_FIELDS:
        for row in report(sources_params(site, day, field)):
            rows.append({"source_field": field, "source_value": row[field], **row})
    return rows


def _events(report: Report, site: Site, day: date) -> list[dict[str, str]]:
    return [row for row in report(events_params(site, day)) if int(row["conversions"]) > 0]


def dataset_rows(
    dataset: str, site: Site, day: date, event_store: EventStore, metadata: MetadataStore
) -> list[list[Cell]]:
    """The typed rows of `dataset` for `day` (site time), sorted by the dataset's key columns."""

    def report(params: dict[str, str]) -> list[dict[str, str]]:
        return run_report(parse_report_query(params, site.timezone), event_store, metadata)

    if dataset == "daily_pages":
        found = _pages(report, site, day)
    elif dataset == "daily_sources":
        found = _sources(report, site, day)
    elif dataset == "daily_events":
        found = _events(report, site, day)
    else:
        raise KeyError(f"unknown dataset {dataset!r}")
    keys = DATASETS[dataset].key_count
    return sorted((_typed(dataset, row, day) for row in found), key=lambda cells: [str(c) for c in cells[:keys]])
