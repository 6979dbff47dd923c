"""What the dashboard needs from the running deployment: stores, settings, its limits, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadline.collect.client_address import ClientAddressPolicy
from leadline.config import Settings
from leadline.rate_limiter import RateLimit
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore


@dataclass(frozen=True)
class DashboardContext:
    """Built by the entry point (`Deployment.dashboard()`); every dashboard handler reads only this."""

    settings: Settings
    metadata: MetadataStore
    event_store: EventStore
    login_attempts: RateLimit = field(repr=False)  # per email (keyed hash), of failed sign-ins
    share_password_attempts: RateLimit = field(repr=False)  # per site, of wrong share passwords
    client_addresses: ClientAddressPolicy = field(default_factory=ClientAddressPolicy)
