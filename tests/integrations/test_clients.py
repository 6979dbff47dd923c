"""The integration client repository: secrets and tokens stored only as hashes, datasets and sites checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from leadline.publishing.datasets import DATASETS, UnknownDatasetError, check_dataset_names
from leadline.store.metadata.records import NotFoundError
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import integration_clients, integration_tokens


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    opened = open_metadata_store(f"sqlite:///{tmp_path / 'meta.sqlite3'}")
    yield opened
    opened.close()


def stored_values(store: MetadataStore) -> set[str]:
    with store.engine.connect() as connection:
        rows = [*connection.execute(select(integration_clients)), *connection.execute(select(integration_tokens))]
    return {str(value) for row in rows for value in row._mapping.values()}


def test_secrets_and_tokens_are_stored_only_as_hashes(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    clients = store.integration_clients
    issued = clients.create(account.id, site.id, ["daily_pages"])
    token = clients.issue_token(issued.client, 60)
    assert issued.secret not in stored_values(store) and token.token not in stored_values(store)
    assert clients.authenticate(issued.client.id, issued.secret) == issued.client
    assert clients.authenticate(issued.client.id, issued.secret + "x") is None
    assert clients.client_for_token(token.token) == issued.client
    assert clients.client_for_token(token.token + "x") is None


def test_a_client_can_only_be_made_for_a_site_of_its_own_account(store: MetadataStore) -> None:
    owner = store.accounts.create("A", "a@example.com")
    stranger = store.accounts.create("B", "b@example.com")
    site = store.sites.create(owner.id, {"name": "S"})
    with pytest.raises(NotFoundError):
        store.integration_clients.create(stranger.id, site.id, tuple(DATASETS))


def test_active_subscriptions_follow_the_given_order_and_skip_revoked_clients(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site, quiet = store.sites.create(account.id, {"name": "S"}), store.sites.create(account.id, {"name": "Q"})
    store.integration_clients.create(account.id, site.id, ["daily_events", "retired_dataset"])
    store.integration_clients.create(account.id, site.id, ["daily_pages"])
    revoked = store.integration_clients.create(account.id, quiet.id, ["daily_pages"]).client
    store.integration_clients.revoke(revoked.id)
    assert store.integration_clients.active_subscriptions(tuple(DATASETS)) == {site.id: ("daily_pages", "daily_events")}


def test_unknown_dataset_names_are_refused_and_known_ones_kept_in_order() -> None:
    assert check_dataset_names(["daily_events", "daily_pages", "daily_events"]) == ("daily_events", "daily_pages")
    with pytest.raises(UnknownDatasetError, match="raw_hits"):
        check_dataset_names(["daily_pages", "raw_hits"])


def test_every_dataset_starts_with_a_date_column_and_has_unique_column_names() -> None:
    for dataset in DATASETS.values():
        names = [column.name for column in dataset.columns]
        assert names[0] == "date" and len(set(names)) == len(names)
