"""The metadata store: migrations match the tables, paging is complete and ordered, keys are hashed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadline.store.metadata.pagination import PageRequest, UnknownCursorError
from leadline.store.metadata.records import NotFoundError, PublicationRecord
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


def test_writes_that_make_cached_site_facts_stale_announce_the_site(store: MetadataStore) -> None:
    announced: list[str] = []
    store.changes.subscribe(announced.append)
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    event = store.events.create(site.id, "Signup")  # no cache holds an answer a new event makes wrong
    assert announced == []
    store.sites.update(account.id, site.id, {"name": "Renamed"})
    store.sites.claim_primary_hostname(site.id, "example.com")
    store.sites.claim_primary_hostname(site.id, "other.example")  # bound already: nothing changes
    store.events.rename(site.id, event.id, "Sign-up")
    store.events.delete(site.id, event.id)
    store.sites.delete(account.id, site.id)
    assert announced == [site.id] * 5


def test_a_write_that_fails_announces_nothing(store: MetadataStore) -> None:
    announced: list[str] = []
    store.changes.subscribe(announced.append)
    account = store.accounts.create("A", "a@example.com")
    with pytest.raises(NotFoundError):
        store.sites.update(account.id, "NOSUCHSITE", {"name": "X"})
    with pytest.raises(NotFoundError):
        store.events.delete("NOSUCHSITE", "NOSUCHEVENT")
    assert announced == []


def test_a_days_salt_is_the_first_one_stored_and_older_days_can_be_destroyed(store: MetadataStore) -> None:
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    assert store.salts.get_or_create(monday, b"m" * 32) == b"m" * 32
    assert store.salts.get_or_create(monday, b"x" * 32) == b"m" * 32  # a second process uses the first salt
    store.salts.get_or_create(tuesday, b"t" * 32)
    store.salts.delete_before(tuesday)
    assert (store.salts.get(monday), store.salts.get(tuesday)) == (None, b"t" * 32)


def test_a_publication_keeps_its_facts_and_the_exact_bytes_of_its_rows(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    key = store.signing_keys.current(account.id).key
    assert store.signing_keys.current(account.id).key == key == store.signing_keys.get(key.id)

    def version(number: int, supersedes: str | None) -> PublicationRecord:
        return PublicationRecord(
            id=f"P{number}",
            site_id=site.id,
            dataset="daily_pages",
            day=date(2026, 3, 2),
            timezone="UTC",
            version=number,
            supersedes_id=supersedes,
            branch_id="main",
            row_count=0,
            rows_sha256="0" * 64,
            key_id=key.id,
            signature_id=f"G{number}",
            signature="c2lnbmF0dXJl",
            signer_email=account.email,
            timestamp_iso8601="2026-03-03T00:00:00+00:00",
            published_at=datetime(2026, 3, 3, number),
        )

    first, second = version(1, None), version(2, "P1")
    store.publications.add(first, b'{"columns":[],"rows":[]}')
    store.publications.add(second, b'{"columns":[],"rows":[[1]]}')
    assert store.publications.get("P1") == first
    assert store.publications.content("P2") == b'{"columns":[],"rows":[[1]]}'
    assert store.publications.latest(site.id, "daily_pages", date(2026, 3, 2)) == second
    days = (date(2026, 3, 1), date(2026, 3, 31))
    assert store.publications.for_dataset(site.id, "daily_pages", *days, latest_only=True) == [second]
    assert store.publications.for_dataset(site.id, "daily_pages", *days, latest_only=False) == [first, second]
