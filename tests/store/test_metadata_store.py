"""The metadata store: migrations match the tables, paging is complete and ordered, keys are hashed."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadline.store.metadata.pagination import PageRequest, UnknownCursorError
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import api_keys, metadata


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    return open_metadata_store(f"sqlite:///{tmp_path / 'meta.sqlite3'}")


def test_migrations_build_exactly_the_declared_tables(store: MetadataStore) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    first = open_metadata_store(url)
    account = first.accounts.create("A", "a@example.com")
    first.close()
    assert open_metadata_store(url).accounts.get(account.id) == account


def test_keys_are_stored_only_as_hashes(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    issued = store.api_keys.create(account.id, ["*"])
    with store.engine.connect() as connection:
        row = connection.execute(select(api_keys)).one()._mapping
    assert issued.key not in {str(value) for value in row.values()}
    assert store.api_keys.authenticate(issued.key) == issued.record
    assert store.api_keys.authenticate(issued.key + "x") is None
    store.api_keys.revoke(issued.record.id)
    assert store.api_keys.authenticate(issued.key) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(count=st.integers(0, 30), limit=st.integers(1, 12))
def test_paging_forward_and_backward_yields_every_site_once(store: MetadataStore, count: int, limit: int) -> None:
    account = store.accounts.create("A", "a@example.com")
    made = [store.sites.create(account.id, {"name": f"S{n}"}).id for n in range(count)]
    forward: list[str] = []
    cursor: str | None = None
    while True:
        page = store.sites.list_page(account.id, PageRequest(limit=limit, starting_after=cursor))
        forward += [site.id for site in page.items]
        if not page.has_more:
            break
        cursor = forward[-1]
    assert forward == made
    if made:
        backward: list[str] = [made[-1]]
        while True:
            page = store.sites.list_page(account.id, PageRequest(limit=limit, ending_before=backward[0]))
            backward = [site.id for site in page.items] + backward
            if not page.has_more:
                break
        assert backward == made


def test_a_cursor_from_another_account_is_unknown(store: MetadataStore) -> None:
    mine, theirs = store.accounts.create("A", "a@example.com"), store.accounts.create("B", "b@example.com")
    foreign = store.sites.create(theirs.id, {"name": "Theirs"})
    with pytest.raises(UnknownCursorError):
        store.sites.list_page(mine.id, PageRequest(limit=10, starting_after=foreign.id))
