"""Bounds on what one report may cost: rows, time buckets and seconds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReportLimits:
    """What a caller from outside (the REST API, the dashboard) may ask of one report; None: no bound.

    Internal callers (the publisher's one-day datasets) pass none: their windows are bounded by construction,
    and a signed dataset must never be cut short.
    """

    max_rows: int | None = None  # answers with more rows are refused unless `limit` asks for fewer
    max_time_buckets: int | None = None  # date groupings over more buckets are refused before running
    timeout_seconds: float | None = None  # the engine is interrupted past this


UNBOUNDED = ReportLimits()
