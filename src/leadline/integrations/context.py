"""What the Integration API needs from the running deployment: its repositories, token lifetime and limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadline.collect.client_address import ClientAddressPolicy
from leadline.publishing.publications import Publications
from leadline.rate_limiter import RateLimit
from leadline.store.metadata.integration_clients import IntegrationClientRepository
from leadline.store.metadata.signing_keys import SigningKeyRepository


@dataclass(frozen=True)
class Integrations:
    """Built by the entry point from settings and the metadata store."""

    clients: IntegrationClientRepository
    publications: Publications
    signing_keys: SigningKeyRepository
    token_lifetime_seconds: int
    require_user_agent: bool
    token_rate_limit: RateLimit = field(repr=False)  # per client id, of authenticated POST /oauth2/token
    request_rate_limit: RateLimit = field(repr=False)  # per client, of GraphQL requests and downloads
    # Per source address, of failed client authentications: a source past it is refused before any secret check.
    token_failures: RateLimit = field(repr=False)
    client_addresses: ClientAddressPolicy = field(default_factory=ClientAddressPolicy)  # how a source is found
