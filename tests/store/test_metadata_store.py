"""The metadata store: migrations match the tables, paging is complete and ordered, keys are hashed."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from threading import Barrier

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from leadline.store.metadata.database import SCHEMA_HEAD, alembic_config, make_engine, schema_is_current
from leadline.store.metadata.pagination import PageRequest, UnknownCursorError
from leadline.store.metadata.records import NotFoundError, PublicationRecord
from leadline.store.metadata.sealed import SealingKey
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import api_keys, metadata


@pytest.fixture
def store(metadata_url: str) -> Iterator[MetadataStore]:
    """A store on each backend (SQLite, PostgreSQL): every test here checks the same behaviour on both."""
    opened = open_metadata_store(metadata_url, sealing_key=SealingKey.of(b"a test secret key"))
    yield opened
    opened.close()


def test_migrations_build_exactly_the_declared_tables(store: MetadataStore) -> None:
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_migrations_build_exactly_the_declared_tables_from_an_empty_database(empty_metadata_url: str) -> None:
    migrated = open_metadata_store(empty_metadata_url)
    with migrated.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    migrated.close()
    assert differences == []


def test_migrating_twice_changes_nothing(empty_metadata_url: str) -> None:
    first = open_metadata_store(empty_metadata_url)
    account = first.accounts.create("A", "a@example.com")
    first.close()
    second = open_metadata_store(empty_metadata_url)
    assert second.accounts.get(account.id) == account
    second.close()


def test_the_schema_head_is_the_newest_migration() -> None:
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_HEAD


def test_a_database_at_an_older_migration_is_brought_to_the_newest(empty_metadata_url: str) -> None:
    engine = make_engine(empty_metadata_url)
    assert not schema_is_current(engine)  # nothing there yet
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    assert not schema_is_current(engine)
    engine.dispose()
    migrated = open_metadata_store(empty_metadata_url)
    with migrated.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert schema_is_current(migrated.engine) and differences == []
    migrated.close()


def test_a_bare_postgresql_url_means_psycopg_3(postgres_url: str) -> None:
    store = open_metadata_store(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    account = store.accounts.create("A", "a@example.com")
    assert store.engine.dialect.driver == "psycopg" and store.accounts.get(account.id) == account
    store.close()


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


def test_servers_starting_at_once_on_one_new_database_migrate_it_once(empty_metadata_url: str) -> None:
    start = Barrier(8)

    def open_and_close(_: int) -> None:
        start.wait()
        open_metadata_store(empty_metadata_url).close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(open_and_close, range(8)))
    store = open_metadata_store(empty_metadata_url)
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    store.close()
    assert differences == []
