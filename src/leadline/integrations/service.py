"""The Integration API's parts for one process: repositories, token lifetime and the token-endpoint limiter."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine

from leadline.integrations.clients import IntegrationClientRepository
from leadline.integrations.publications import PublicationRepository


class TokenRateLimit:
    """One moving window per client id on the token endpoint; counters are in process memory."""

    def __init__(self, limit: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client_id: str) -> int | None:
        """Count one request; None if allowed, else the seconds until the client may try again."""
        if self._limiter.hit(self.item, "oauth2-token", client_id):
            return None
        stats = self._limiter.get_window_stats(self.item, "oauth2-token", client_id)
        return max(1, math.ceil(stats.reset_time - time.time()))


@dataclass(frozen=True)
class Integrations:
    clients: IntegrationClientRepository
    publications: PublicationRepository
    token_lifetime_seconds: int
    token_rate_limit: TokenRateLimit = field(repr=False)


def build_integrations(engine: Engine, token_rate_limit: str, token_lifetime_seconds: int) -> Integrations:
    return Integrations(
        clients=IntegrationClientRepository(engine),
        publications=PublicationRepository(engine),
        token_lifetime_seconds=token_lifetime_seconds,
        token_rate_limit=TokenRateLimit(token_rate_limit),
    )
