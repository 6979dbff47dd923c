"""The parts of the Integration API that GraphQL and the downloads read, declared as small Protocols.

The endpoint receives whatever object the entry point built; these Protocols name the few attributes it
reads, so the wiring can change without this package importing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from leadline.canonical import Cell
from leadline.publishing.publications import Publication
from leadline.store.metadata.records import IntegrationClient, SigningKey


class AccessTokens(Protocol):
    def client_for_token(self, token: str) -> IntegrationClient | None:
        """The live client an access token belongs to, or None."""
        ...


class PublicationReader(Protocol):
    def get(self, publication_id: str) -> Publication | None:
        """One publication by id, or None."""
        ...

    def rows(self, publication: Publication) -> list[list[Cell]]:
        """The publication's frozen rows."""
        ...

    def recent(self, site_id: str, datasets: Sequence[str], last_n_days: int) -> list[Publication]:
        """Publications made in the last `last_n_days` days, newest first."""
        ...

    def for_dataset(
        self, site_id: str, dataset: str, first_day: date, last_day: date, latest_only: bool
    ) -> list[Publication]:
        """Publications of one dataset for days in [first_day, last_day], by day then version."""
        ...


class SigningKeyReader(Protocol):
    def get(self, key_id: str) -> SigningKey | None:
        """One public signing key by id, or None."""
        ...

    def list_for_account(self, account_id: str) -> list[SigningKey]:
        """An account's public signing keys."""
        ...


class ClientRateLimit(Protocol):
    def retry_after(self, client_id: str) -> int | None:
        """Count one request: None if it may pass, else the seconds until the client may try again."""
        ...

    def describe(self) -> str:
        """The limit in words, for error messages."""
        ...


class IntegrationParts(Protocol):
    """The Integration API's parts GraphQL and the downloads read (properties, so frozen objects fit)."""

    @property
    def clients(self) -> AccessTokens: ...

    @property
    def publications(self) -> PublicationReader: ...

    @property
    def signing_keys(self) -> SigningKeyReader: ...

    @property
    def require_user_agent(self) -> bool: ...

    @property
    def request_rate_limit(self) -> ClientRateLimit: ...
