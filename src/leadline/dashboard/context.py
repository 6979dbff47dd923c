"""What the dashboard needs from the running deployment: stores, settings, its limits, nothing more."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from leadline.collect.client_address import ClientAddressPolicy
from leadline.config import Settings
from leadline.query.limits import ReportLimits
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
    # Signs the dashboard's cookies (sessions, share admissions, flash messages); `session_keys.signing_key`
    # derives it from the deployment's secret. The random default only serves contexts built in tests.
    signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @property
    def report_limits(self) -> ReportLimits:
        """The same bounds `/v1/aggregations` applies: the dashboard is no back door around them."""
        settings = self.settings
        return ReportLimits(settings.report_max_rows, settings.report_max_time_buckets, settings.report_timeout_seconds)
