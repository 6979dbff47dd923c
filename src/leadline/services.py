"""The running deployment's parts, built once from settings and shared by every route."""

from __future__ import annotations

from dataclasses import dataclass

from leadline.api.rate_limits import RateLimits
from leadline.collect.directories import EventDirectory, SiteDirectory
from leadline.collect.geolocation import Geolocator
from leadline.collect.sessions import SessionTracker
from leadline.config import Settings
from leadline.integrations.service import Integrations, build_integrations
from leadline.privacy.salts import SaltStore
from leadline.store.events import EventStore, open_event_store
from leadline.store.metadata.store import MetadataStore, open_metadata_store


@dataclass(frozen=True)
class Services:
    settings: Settings
    metadata: MetadataStore
    event_store: EventStore
    rate_limits: RateLimits
    site_directory: SiteDirectory
    event_directory: EventDirectory
    salts: SaltStore
    geolocator: Geolocator
    sessions: SessionTracker
    integrations: Integrations

    def forget_site(self, site_id: str) -> None:
        """Drop cached facts about a site after the API changed or deleted it."""
        self.site_directory.forget(site_id)
        self.event_directory.forget_site(site_id)

    def close(self) -> None:
        self.geolocator.close()
        self.event_store.close()
        self.metadata.close()


def build_services(settings: Settings) -> Services:
    metadata = open_metadata_store(settings.metadata_url)
    event_store = open_event_store(settings.event_store_url)
    return Services(
        settings=settings,
        metadata=metadata,
        event_store=event_store,
        rate_limits=RateLimits(settings.management_rate_limit, settings.reports_rate_limit),
        site_directory=SiteDirectory(metadata),
        event_directory=EventDirectory(metadata),
        salts=SaltStore(metadata.engine),
        geolocator=Geolocator(settings.geoip_city_database),
        sessions=SessionTracker(),
        integrations=build_integrations(settings, metadata, event_store),
    )
