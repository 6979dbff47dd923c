"""The running deployment: every long-lived part, built once from settings by the entry points.

Only entry points (the app, the CLI, jobs) build or hold a Deployment; each package below receives the
narrow parts it needs from it (`api_context`, `integrations`, `step_parts`, `new_collector`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from leadline.admin.context import AdminContext, EventStoreCopier, secret_key_source
from leadline.api.context import ApiContext
from leadline.api.rate_limits import RateLimits
from leadline.collect.client_address import ClientAddressPolicy
from leadline.collect.collector import Collector
from leadline.collect.directories import EventDirectory, SiteDirectory
from leadline.collect.geolocation import Geolocator
from leadline.collect.sessions import SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS, Sessions, SessionTracker
from leadline.collect.spool import Spool
from leadline.collect.steps import StepParts
from leadline.config import Settings
from leadline.dashboard.context import DashboardContext
from leadline.dashboard.session_keys import signing_key
from leadline.integrations.context import Integrations
from leadline.privacy.salts import SaltStore
from leadline.publishing.publications import Publications
from leadline.publishing.publisher import Publisher
from leadline.query.limits import ReportLimits
from leadline.rate_limiter import RateLimiter
from leadline.store.events import EventStore, open_event_store
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.secret_key import sealing_key, secret_key_file
from leadline.store.shared.spool_slots import SpoolSlot, claim_spool_slot
from leadline.store.shared.state import SharedState, open_shared_state
from leadline.store.snapshots import sqlite_file


@dataclass(frozen=True)
class Deployment:
    settings: Settings
    metadata: MetadataStore
    event_store: EventStore
    rate_limiter: RateLimiter
    site_directory: SiteDirectory
    event_directory: EventDirectory
    salts: SaltStore
    geolocator: Geolocator
    sessions: Sessions
    publisher: Publisher
    client_addresses: ClientAddressPolicy  # whom to believe about a client's address: collector and token endpoint
    shared: SharedState | None = None  # with a Redis (LEADLINE_REDIS_URL): what this worker shares with the others
    spool_slots: list[SpoolSlot] = field(default_factory=list)  # the spool directories this worker holds

    @property
    def step_parts(self) -> StepParts:
        return StepParts(self.site_directory, self.event_directory, self.geolocator, self.salts, self.sessions)

    @property
    def spool_directory(self) -> Path:
        return self.settings.data_dir.resolve() / "spool"

    def new_collector(self) -> Collector:
        """A collector over this deployment's stores, spooling into the data directory."""
        settings = self.settings
        spool = Spool(
            self._claim_spool_directory(),
            max_age=settings.spool_segment_seconds,
            fsync_interval=settings.spool_fsync_interval_seconds,
            fsync_before_ack=settings.spool_fsync_before_ack,
            max_bytes=settings.spool_max_bytes,
            min_free_bytes=settings.spool_min_free_bytes,
        )
        return Collector(self.step_parts, self.event_store, spool)

    def _claim_spool_directory(self) -> Path:
        # Several workers each write their own `spool/<n>`, so no segment is ever flushed by two; one writes `spool/`.
        if self.settings.workers == 1:
            return self.spool_directory
        slot = claim_spool_slot(self.spool_directory)
        self.spool_slots.append(slot)
        return slot.directory

    def api_context(self) -> ApiContext:
        settings = self.settings
        rate_limits = RateLimits(self.rate_limiter, settings.management_rate_limit, settings.reports_rate_limit)
        return ApiContext(
            self.metadata,
            self.event_store,
            rate_limits,
            max_events_per_site=settings.max_events_per_site,
            report_limits=ReportLimits(
                settings.report_max_rows, settings.report_max_time_buckets, settings.report_timeout_seconds
            ),
        )

    def integrations(self) -> Integrations:
        settings = self.settings
        return Integrations(
            clients=self.metadata.integration_clients,
            publications=Publications(self.metadata.publications),
            signing_keys=self.metadata.signing_keys,
            token_lifetime_seconds=settings.token_lifetime_seconds,
            require_user_agent=settings.integrations_require_user_agent,
            token_rate_limit=self.rate_limiter.limit(settings.token_rate_limit, "oauth2-token"),
            request_rate_limit=self.rate_limiter.limit(settings.integrations_rate_limit, "integrations"),
            token_failures=self.rate_limiter.limit(settings.token_failure_rate_limit, "oauth2-token-failures"),
            client_addresses=self.client_addresses,
        )

    def dashboard(self) -> DashboardContext:
        settings = self.settings
        return DashboardContext(
            settings=settings,
            metadata=self.metadata,
            event_store=self.event_store,
            login_attempts=self.rate_limiter.limit(settings.login_rate_limit, "dashboard-login-failures"),
            share_password_attempts=self.rate_limiter.limit(
                settings.share_password_rate_limit, "dashboard-share-password-failures"
            ),
            client_addresses=self.client_addresses,
            signing_key=signing_key(settings),
        )

    def admin(self) -> AdminContext:
        """What the admin socket serves: backups (embedded stores, spool, key files), publish, export, import."""
        settings = self.settings
        key_file = secret_key_file(settings)
        return AdminContext(
            data_dir=settings.data_dir.resolve(),
            metadata_database=sqlite_file(settings.metadata_url),
            event_store=self.event_store if isinstance(self.event_store, EventStoreCopier) else None,
            spool_directory=self.spool_directory,
            key_files=(key_file,),  # the dashboard's cookie key is derived from this one secret
            secret_key=secret_key_source(settings, key_file),
            metadata=self.metadata,
            events=self.event_store,
            publisher=self.publisher,
        )

    def close(self) -> None:
        if self.shared is not None:
            self.shared.close()
        for slot in self.spool_slots:
            slot.release()
        self.geolocator.close()
        self.event_store.close()
        self.metadata.close()


def build_deployment(settings: Settings) -> Deployment:
    """Open the stores named by `settings` and build every part over them; `close()` releases them."""
    rate_limiter = RateLimiter(settings.rate_limit_storage_url)  # first: a bad storage URI opens nothing
    metadata = open_metadata_store(settings.metadata_url, sealing_key=sealing_key(settings))
    event_store = open_event_store(settings.event_store_url)
    site_directory = SiteDirectory(metadata)
    new_event_names = rate_limiter.limit(settings.new_event_rate_limit, "new-event-names")
    event_directory = EventDirectory(metadata, settings.max_events_per_site, new_event_names)
    # Changes made through this process (API, dashboard, CLI) reach the collector's caches at once.
    metadata.changes.subscribe(site_directory.forget)
    metadata.changes.subscribe(event_directory.forget_site)
    # ... and, with a Redis, those made through the other workers too.
    shared = (
        open_shared_state(settings.redis_url, metadata.changes, SESSION_IDLE_SECONDS, SESSION_MAX_SECONDS)
        if settings.redis_url
        else None
    )
    return Deployment(
        settings=settings,
        metadata=metadata,
        event_store=event_store,
        rate_limiter=rate_limiter,
        site_directory=site_directory,
        event_directory=event_directory,
        salts=SaltStore(metadata.salts),
        geolocator=Geolocator(settings.geoip_city_database),
        sessions=shared.sessions if shared is not None else SessionTracker(),
        publisher=Publisher(metadata, event_store),
        client_addresses=ClientAddressPolicy.from_settings(settings),
        shared=shared,
    )
