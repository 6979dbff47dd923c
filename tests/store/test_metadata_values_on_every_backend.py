"""What the metadata store hands back is what it was given, on SQLite and PostgreSQL alike.

Timestamps (naive UTC, to the microsecond), booleans, JSON lists and raw bytes survive the round trip; rows
created in the same microsecond still page in one stable order; a broken uniqueness rule is the same error.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import ConflictError, PublicationRecord
from leadline.store.metadata.sealed import SealingKey
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import sites


@pytest.fixture
def store(metadata_url: str) -> Iterator[MetadataStore]:
    opened = open_metadata_store(metadata_url, sealing_key=SealingKey.of(b"a test secret key"))
    yield opened
    opened.close()


def test_timestamps_come_back_naive_utc_to_the_microsecond(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    read = store.sites.get(account.id, site.id)
    assert read.created_at == site.created_at and read.created_at.tzinfo is None
    with store.engine.begin() as connection:
        connection.execute(update(sites).values(created_at=datetime(2026, 3, 2, 9, 30, 15, 123456)))
    assert store.sites.get(account.id, site.id).created_at == datetime(2026, 3, 2, 9, 30, 15, 123456)


def test_booleans_come_back_as_booleans(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    single = store.sites.create(account.id, {"name": "One"})
    multi = store.sites.create(account.id, {"name": "Many", "multi_domain": True, "multi_domain_option": "separate"})
    assert store.sites.get(account.id, single.id).multi_domain is False
    assert store.sites.get(account.id, multi.id).multi_domain is True


def test_json_lists_come_back_in_their_order(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    issued = store.api_keys.create(account.id, ["site:read:ABCDEFGHJK", "site:write:ABCDEFGHJK", "sites:read"])
    assert store.api_keys.list_for_account(account.id)[0].permissions == issued.record.permissions
    client = store.integration_clients.create(account.id, site.id, ["daily_pages", "daily_events"])
    assert store.integration_clients.get(client.client.id).datasets == ("daily_pages", "daily_events")


def test_bytes_come_back_exactly_with_nul_and_high_bytes(store: MetadataStore) -> None:
    every_byte = bytes(range(256))
    store.salts.get_or_create(date(2026, 3, 2), every_byte[:32])
    assert store.salts.get(date(2026, 3, 2)) == every_byte[:32]
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    store.publications.add(publication(store, site.id, account.id, version=1), every_byte)
    assert store.publications.content("P1") == every_byte


def test_rows_created_in_the_same_microsecond_page_by_id_both_ways(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    made = [store.sites.create(account.id, {"name": f"S{n}"}).id for n in range(7)]
    with store.engine.begin() as connection:
        connection.execute(update(sites).values(created_at=datetime(2026, 3, 2, 12)))
    forward: list[str] = []
    while True:
        page = store.sites.list_page(account.id, PageRequest(limit=3, starting_after=forward[-1] if forward else None))
        forward += [site.id for site in page.items]
        if not page.has_more:
            break
    assert forward == sorted(made)
    backward = store.sites.list_page(account.id, PageRequest(limit=3, ending_before=forward[-1]))
    assert [site.id for site in backward.items] == forward[-4:-1] and backward.has_more


def test_a_duplicate_is_the_same_error_on_every_backend(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    site = store.sites.create(account.id, {"name": "S"})
    store.events.create(site.id, "Signup")
    with pytest.raises(ConflictError, match="already exists"):
        store.events.create(site.id, "Signup")
    renamed = store.events.create(site.id, "Purchase")
    with pytest.raises(ConflictError, match="already exists"):
        store.events.rename(site.id, renamed.id, "Signup")
    store.publications.add(publication(store, site.id, account.id, version=1), b"[]")
    with pytest.raises(IntegrityError):
        store.publications.add(publication(store, site.id, account.id, version=1, publication_id="P2"), b"[]")
    assert store.publications.get("P2") is None  # the failed add left nothing behind


def publication(
    store: MetadataStore, site_id: str, account_id: str, version: int, publication_id: str = "P1"
) -> PublicationRecord:
    key = store.signing_keys.current(account_id).key
    return PublicationRecord(
        id=publication_id,
        site_id=site_id,
        dataset="daily_pages",
        day=date(2026, 3, 2),
        timezone="UTC",
        version=version,
        supersedes_id=None,
        branch_id="main",
        row_count=0,
        rows_sha256="0" * 64,
        key_id=key.id,
        signature_id="G1",
        signature="c2lnbmF0dXJl",
        signer_email="a@example.com",
        timestamp_iso8601="2026-03-03T00:00:00+00:00",
        published_at=datetime(2026, 3, 3, 0, 0, 0, 1),
    )
