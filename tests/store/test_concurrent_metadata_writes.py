"""Concurrent writers get the same answers on SQLite and PostgreSQL: nothing lost, nothing doubled, limits kept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from threading import Barrier
from typing import TypeVar

import pytest

from leadline.store.metadata.records import ConflictError, EventLimitError
from leadline.store.metadata.store import MetadataStore, open_metadata_store

T = TypeVar("T")
WRITERS = 20


@pytest.fixture
def store(metadata_url: str) -> Iterator[MetadataStore]:
    opened = open_metadata_store(metadata_url)
    yield opened
    opened.close()


def all_at_once(count: int, write: Callable[[int], T]) -> list[T | Exception]:
    """Run `write(0..count-1)` in `count` threads released together; each one's result or exception, in order."""
    start = Barrier(count)

    def run(number: int) -> T | Exception:
        start.wait()
        try:
            return write(number)
        except Exception as error:  # the outcome under test
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_sites_created_at_once_are_all_kept_and_listed_in_one_order(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    made = all_at_once(WRITERS, lambda n: store.sites.create(account.id, {"name": f"S{n}"}).id)
    listed = [site.id for site in store.sites.list_all(account.id)]
    assert sorted(listed) == sorted(str(site_id) for site_id in made) and len(set(listed)) == WRITERS
    assert [site.id for site in store.sites.list_all(account.id)] == listed


def test_keys_created_at_once_each_authenticate(store: MetadataStore) -> None:
    account = store.accounts.create("A", "a@example.com")
    issued = all_at_once(WRITERS, lambda n: store.api_keys.create(account.id, ["*"], name=f"K{n}"))
    keys = [key for key in issued if not isinstance(key, Exception)]
    assert len({key.record.id for key in keys}) == WRITERS
    assert all(store.api_keys.authenticate(key.key) == key.record for key in keys)


def test_events_with_different_names_created_at_once_are_all_kept(store: MetadataStore) -> None:
    site = store.sites.create(store.accounts.create("A", "a@example.com").id, {"name": "S"})
    all_at_once(WRITERS, lambda n: store.events.create(site.id, f"E{n}"))
    assert sorted(event.name for event in store.events.list_all(site.id)) == sorted(f"E{n}" for n in range(WRITERS))


def test_one_name_created_at_once_makes_one_event_and_conflicts_for_the_rest(store: MetadataStore) -> None:
    site = store.sites.create(store.accounts.create("A", "a@example.com").id, {"name": "S"})
    outcomes = all_at_once(WRITERS, lambda _: store.events.create(site.id, "Signup"))
    assert sum(not isinstance(outcome, Exception) for outcome in outcomes) == 1
    assert all(isinstance(outcome, ConflictError) for outcome in outcomes if isinstance(outcome, Exception))


def test_get_or_create_at_once_gives_every_caller_the_same_event(store: MetadataStore) -> None:
    site = store.sites.create(store.accounts.create("A", "a@example.com").id, {"name": "S"})
    ids = all_at_once(WRITERS, lambda _: store.events.get_or_create(site.id, "Signup").id)
    assert len(set(ids)) == 1 and store.events.count(site.id) == 1


def test_forty_creators_racing_for_ten_places_create_exactly_ten(store: MetadataStore) -> None:
    site = store.sites.create(store.accounts.create("A", "a@example.com").id, {"name": "S"})
    outcomes = all_at_once(40, lambda n: store.events.create(site.id, f"E{n}", max_events=10))
    assert store.events.count(site.id) == 10
    assert sum(isinstance(outcome, EventLimitError) for outcome in outcomes) == 30


def test_hits_binding_a_site_at_once_all_learn_the_one_winner(store: MetadataStore) -> None:
    site = store.sites.create(store.accounts.create("A", "a@example.com").id, {"name": "S"})
    bound = all_at_once(WRITERS, lambda n: store.sites.claim_primary_hostname(site.id, f"host{n}.example"))
    assert len(set(bound)) == 1 and store.sites.get(site.account_id, site.id).primary_hostname == bound[0]


def test_processes_creating_a_days_salt_at_once_all_use_the_first(store: MetadataStore) -> None:
    salts = all_at_once(WRITERS, lambda n: store.salts.get_or_create(date(2026, 3, 2), bytes([n]) * 32))
    assert len(set(salts)) == 1
