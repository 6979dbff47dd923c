"""What the REST API needs from the running deployment: the stores and its rate limits, nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from leadline.api.rate_limits import RateLimits
from leadline.query.limits import UNBOUNDED, ReportLimits
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore


@dataclass(frozen=True)
class ApiContext:
    """Built by the entry point; handlers reach it as `call.metadata` and `call.event_store`.

    Caches elsewhere (the collector's site and event directories) learn of changes from the metadata
    store's change notifications, so no handler has to remember to invalidate them.
    """

    metadata: MetadataStore
    event_store: EventStore
    rate_limits: RateLimits
    max_events_per_site: int = 500  # the cap hits obey too (settings.max_events_per_site)
    report_limits: ReportLimits = UNBOUNDED  # the entry point passes the settings' bounds
