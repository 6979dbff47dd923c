"""The Integration API's parts for one process: repositories, the publisher, token lifetime and limiters."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from leadline.config import Settings
from leadline.integrations.clients import IntegrationClientRepository
from leadline.integrations.publications import PublicationRepository
from leadline.integrations.publisher import Publisher
from leadline.integrations.signing_keys import SigningKeyRepository
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore


class ClientRateLimit:
    """One moving window per client id for one kind of request; counters are in process memory."""

    def __init__(self, limit: str, namespace: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._namespace = namespace
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client_id: str) -> int | None:
        """Count one request; None if allowed, else the seconds until the client may try again."""
        if self._limiter.hit(self.item, self._namespace, client_id):
            return None
        stats = self._limiter.get_window_stats(self.item, self._namespace, client_id)
        return max(1, math.ceil(stats.reset_time - time.time()))

    def describe(self) -> str:
        return f"at most {self.item.amount} requests per {self.item.get_expiry()} seconds"


@dataclass(frozen=True)
class Integrations:
    clients: IntegrationClientRepository
    publications: PublicationRepository
    signing_keys: SigningKeyRepository
    publisher: Publisher
    token_lifetime_seconds: int
    require_user_agent: bool
    token_rate_limit: ClientRateLimit = field(repr=False)
    request_rate_limit: ClientRateLimit = field(repr=False)


def build_integrations(settings: Settings, metadata: MetadataStore, event_store: EventStore) -> Integrations:
    clients = IntegrationClientRepository(metadata.engine)
    publications = PublicationRepository(metadata.engine)
    signing_keys = SigningKeyRepository(metadata.engine)
    return Integrations(
        clients=clients,
        publications=publications,
        signing_keys=signing_keys,
        publisher=Publisher(metadata, event_store, publications, signing_keys, clients),
        token_lifetime_seconds=settings.token_lifetime_seconds,
        require_user_agent=settings.integrations_require_user_agent,
        token_rate_limit=ClientRateLimit(settings.token_rate_limit, "oauth2-token"),
        request_rate_limit=ClientRateLimit(settings.integrations_rate_limit, "integrations"),
    )
