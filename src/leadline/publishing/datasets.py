"""The datasets an integration client can subscribe to, declared once as typed column lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class ValueType(Enum):
    """A column's type, spelled as the GraphQL `valueType` field shows it."""

    DATE = "DATE"
    STRING = "STRING"
    INT = "INT"
    FLOAT = "FLOAT"


@dataclass(frozen=True, slots=True)
class DatasetColumn:
    name: str
    value_type: ValueType


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    description: str
    columns: tuple[DatasetColumn, ...]
    key_count: int  # the first columns name a row (date and dimensions); rows are sorted by them


def _columns(*pairs: tuple[str, ValueType]) -> tuple[DatasetColumn, ...]:
    return tuple(DatasetColumn(name, value_type) for name, value_type in pairs)


_D, _S, _I, _F = ValueType.DATE, ValueType.STRING, ValueType.INT, ValueType.FLOAT

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "daily_pages",
            "Visits per page and day: for each hostname, the pathname report filtered to that hostname.",
            _columns(
                ("date", _D),
                ("hostname", _S),
                ("pathname", _S),
                ("visits", _I),
                ("uniques", _I),
                ("pageviews", _I),
                ("avg_duration", _F),
                ("bounce_rate", _F),
            ),
            key_count=3,
        ),
        Dataset(
            "daily_sources",
            "Visits per day by referrer hostname, and by each UTM tag: one row per (source_field, source_value), "
            "source_field being referrer_hostname, utm_source, utm_medium or utm_campaign.",
            _columns(
                ("date", _D),
                ("source_field", _S),
                ("source_value", _S),
                ("visits", _I),
                ("uniques", _I),
                ("pageviews", _I),
            ),
            key_count=3,
        ),
        Dataset(
            "daily_events",
            "Conversions per event and day (events without conversions that day have no row); value in cents.",
            _columns(("date", _D), ("event", _S), ("conversions", _I), ("unique_conversions", _I), ("value", _I)),
            key_count=2,
        ),
    )
}


class UnknownDatasetError(ValueError):
    """A dataset name that is not declared in DATASETS."""

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__(f"unknown dataset(s): {', '.join(sorted(names))}; known datasets: {', '.join(DATASETS)}")


def check_dataset_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names without duplicates, in the order given; raises UnknownDatasetError for undeclared ones."""
    unique = tuple(dict.fromkeys(names))
    unknown = [name for name in unique if name not in DATASETS]
    if unknown:
        raise UnknownDatasetError(unknown)
    return unique


def dataset_id(site_id: str, name: str) -> str:
    """The stable id of one site's dataset, as GraphQL shows it (`Dataset.id`, `PublicationEvent.datasetId`)."""
    return f"{site_id}.{name}"
