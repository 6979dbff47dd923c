"""Result rows in the seed's shape: one object per row, every value a string (RECONCILE.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from leadline.query.model import DATE_FORMATS, ReportQuery

DECIMALS = {"avg_duration": 2, "bounce_rate": 4}


def format_metric(metric: str, value: object) -> str:
    number = float(value) if isinstance(value, int | float) else 0.0
    if metric in DECIMALS:
        text = f"{number:.{DECIMALS[metric]}f}".rstrip("0").rstrip(".")
        return text or "0"
    return str(round(number))


def shape_rows(query: ReportQuery, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> list[dict[str, str]]:
    shaped = []
    for row in rows:
        item: dict[str, str] = {}
        for column, value in zip(columns, row, strict=True):
            if column == "date_key":
                if not isinstance(value, datetime) or query.date_grouping is None:
                    raise TypeError(f"unexpected date bucket {value!r}")
                item["date"] = value.strftime(DATE_FORMATS[query.date_grouping])
            elif column == "field_key":
                item[str(query.field_grouping)] = "" if value is None else str(value)
            else:
                item[column] = format_metric(column, value)
        shaped.append(item)
    return shaped
