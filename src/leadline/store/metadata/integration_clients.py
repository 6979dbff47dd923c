"""Integration clients and their access tokens: secrets issued once in clear, stored only as SHA-256."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, select, update

from leadline.store.ids import new_id
from leadline.store.metadata.clock import utc_now
from leadline.store.metadata.pagination import Page, PageRequest, fetch_all, fetch_page
from leadline.store.metadata.records import IntegrationClient, NotFoundError
from leadline.store.metadata.rows import find_one, get_one, reader, row_values
from leadline.store.metadata.secret_hashes import hash_secret, new_secret, secret_matches
from leadline.store.metadata.tables import integration_clients, integration_tokens, sites

TOKEN_PREFIX = "llt_"  # noqa: S105 (a prefix, not a secret)


@dataclass(frozen=True, slots=True)
class IssuedClient:
    """A client with its freshly made secret: the only moment the secret exists outside its owner."""

    client: IntegrationClient
    secret: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    expires_in: int


_to_client = reader(IntegrationClient, datasets=lambda row: tuple(row["datasets"]))


class IntegrationClientRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, account_id: str, site_id: str, datasets: Sequence[str], name: str = "") -> IssuedClient:
        """A new client of `account_id` for its site `site_id`, subscribed to `datasets` (names checked by callers)."""
        secret = new_secret()
        client = IntegrationClient(
            id=new_id(),
            account_id=account_id,
            site_id=site_id,
            name=name,
            datasets=tuple(datasets),
            created_at=utc_now(),
            revoked_at=None,
        )
        with self._engine.begin() as connection:
            owner = connection.execute(select(sites.c.account_id).where(sites.c.id == site_id)).scalar()
            if owner != account_id:
                raise NotFoundError("site", site_id)
            values = row_values(client, secret_hash=hash_secret(secret), datasets=list(client.datasets))
            connection.execute(insert(integration_clients).values(values))
        return IssuedClient(client=client, secret=secret)

    def get(self, client_id: str) -> IntegrationClient:
        with self._engine.connect() as connection:
            query = select(integration_clients).where(integration_clients.c.id == client_id)
            return get_one(connection, _to_client, query, "integration client", client_id)

    def list_for_account(self, account_id: str) -> list[IntegrationClient]:
        scope = integration_clients.c.account_id == account_id
        with self._engine.connect() as connection:
            return fetch_all(connection, integration_clients, _to_client, scope)

    def list_page(self, account_id: str, request: PageRequest) -> Page[IntegrationClient]:
        """One page of the account's clients (revoked ones included), ordered by creation as other lists are."""
        with self._engine.connect() as connection:
            scope = integration_clients.c.account_id == account_id
            return fetch_page(connection, integration_clients, scope, request, _to_client)

    def authenticate(self, client_id: str, secret: str) -> IntegrationClient | None:
        """The active client with this id and secret, or None (unknown, wrong secret or revoked)."""
        with self._engine.connect() as connection:
            row = connection.execute(select(integration_clients).where(integration_clients.c.id == client_id)).first()
        matches = secret_matches(None if row is None else row._mapping["secret_hash"], secret)
        if row is None or not matches or row._mapping["revoked_at"] is not None:
            return None
        return _to_client(row)

    def rotate(self, client_id: str) -> IssuedClient:
        """A new secret for an active client; the old secret and every token issued so far stop working."""
        secret = new_secret()
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(integration_clients)
                .where(integration_clients.c.id == client_id, integration_clients.c.revoked_at.is_(None))
                .values(secret_hash=hash_secret(secret))
            ).rowcount
            if changed != 1:
                raise NotFoundError("active integration client", client_id)
            connection.execute(delete(integration_tokens).where(integration_tokens.c.client_id == client_id))
        return IssuedClient(client=self.get(client_id), secret=secret)

    def revoke(self, client_id: str) -> IntegrationClient:
        """Revoke a client: its secret and all its tokens stop working at once."""
        with self._engine.begin() as connection:
            connection.execute(
                update(integration_clients)
                .where(integration_clients.c.id == client_id, integration_clients.c.revoked_at.is_(None))
                .values(revoked_at=utc_now())
            )
            connection.execute(delete(integration_tokens).where(integration_tokens.c.client_id == client_id))
        return self.get(client_id)

    def issue_token(self, client: IntegrationClient, lifetime_seconds: int) -> IssuedToken:
        """A new opaque access token for `client`; expired tokens of the client are dropped on the way."""
        token = TOKEN_PREFIX + new_secret()
        now = utc_now()
        with self._engine.begin() as connection:
            connection.execute(
                delete(integration_tokens).where(
                    integration_tokens.c.client_id == client.id, integration_tokens.c.expires_at <= now
                )
            )
            connection.execute(
                insert(integration_tokens).values(
                    token_hash=hash_secret(token),
                    client_id=client.id,
                    issued_at=now,
                    expires_at=now + timedelta(seconds=lifetime_seconds),
                )
            )
        return IssuedToken(token=token, expires_in=lifetime_seconds)

    def client_for_token(self, token: str) -> IntegrationClient | None:
        """The active client an unexpired `token` belongs to, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._engine.connect() as connection:
            return find_one(
                connection,
                _to_client,
                select(integration_clients)
                .join(integration_tokens, integration_tokens.c.client_id == integration_clients.c.id)
                .where(
                    integration_tokens.c.token_hash == hash_secret(token),
                    integration_tokens.c.expires_at > utc_now(),
                    integration_clients.c.revoked_at.is_(None),
                ),
            )

    def active_subscriptions(self, known: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """For each site with active clients, the datasets at least one of them subscribes to.

        Only names in `known` are given, in its order: a stored name no longer declared is passed over.
        """
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(integration_clients.c.site_id, integration_clients.c.datasets).where(
                    integration_clients.c.revoked_at.is_(None)
                )
            ).all()
        subscribed: dict[str, set[str]] = {}
        for site_id, names in rows:
            subscribed.setdefault(site_id, set()).update(names)
        return {site_id: tuple(name for name in known if name in names) for site_id, names in subscribed.items()}
