"""The running deployment's parts, built once from settings and shared by every route."""

from __future__ import annotations

from dataclasses import dataclass

from leadline.api.rate_limits import RateLimits
from leadline.config import Settings
from leadline.store.events import EventStore, open_event_store
from leadline.store.metadata.store import MetadataStore, open_metadata_store


@dataclass(frozen=True)
class Services:
    settings: Settings
    metadata: MetadataStore
    event_store: EventStore
    rate_limits: RateLimits

    def close(self) -> None:
        self.event_store.close()
        self.metadata.close()


def build_services(settings: Settings) -> Services:
    return Services(
        settings=settings,
        metadata=open_metadata_store(settings.metadata_url),
        event_store=open_event_store(settings.event_store_url),
        rate_limits=RateLimits(settings.management_rate_limit, settings.reports_rate_limit),
    )
