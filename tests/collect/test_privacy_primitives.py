"""Visitor hashes and daily salts: stable within a day, unlinkable across days, salts destroyed after 48 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from leadline.privacy import visitor_hash as visitor_hash_module
from leadline.privacy.salts import SaltStore
from leadline.privacy.visitor_hash import visitor_hash
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.metadata.tables import salts

UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0"


def test_the_visitor_hash_is_64_bits_and_depends_on_every_input() -> None:
    base = visitor_hash(b"s" * 32, "SITE", "203.0.113.9", UA)
    assert 0 <= base < 2**64
    assert base == visitor_hash(b"s" * 32, "SITE", "203.0.113.9", UA)
    others = {
        visitor_hash(b"t" * 32, "SITE", "203.0.113.9", UA),
        visitor_hash(b"s" * 32, "OTHER", "203.0.113.9", UA),
        visitor_hash(b"s" * 32, "SITE", "203.0.113.10", UA),
        visitor_hash(b"s" * 32, "SITE", "203.0.113.9", UA + " "),
    }
    assert base not in others and len(others) == 4


@pytest.fixture
def store(tmp_path: Path) -> MetadataStore:
    return open_metadata_store(f"sqlite:///{tmp_path / 'meta.sqlite3'}")


def unix(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def stored_days(store: MetadataStore) -> list[date]:
    with store.engine.connect() as connection:
        return sorted(connection.execute(select(salts.c.day)).scalars())


def test_salts_rotate_at_utc_midnight_and_are_destroyed_two_days_later(store: MetadataStore) -> None:
    salt_store = SaltStore(store.salts)
    monday, monday_late = unix(2026, 3, 2, 0, 0, 1), unix(2026, 3, 2, 23, 59, 59)
    first, previous = salt_store.salts_for(monday)
    assert previous is None
    assert salt_store.salts_for(monday_late) == (first, None)
    tuesday, yesterday = salt_store.salts_for(unix(2026, 3, 3, 0, 0, 0))
    assert tuesday != first and yesterday == first
    _wednesday, yesterday = salt_store.salts_for(unix(2026, 3, 4, 12, 0))
    assert yesterday == tuesday
    assert stored_days(store) == [date(2026, 3, 3), date(2026, 3, 4)]  # Monday's salt is gone


def test_processes_sharing_a_store_agree_on_the_days_salt(store: MetadataStore) -> None:
    now = unix(2026, 3, 2, 8, 0)
    assert SaltStore(store.salts).salts_for(now) == SaltStore(store.salts).salts_for(now)


def test_no_copy_of_a_destroyed_salt_stays_in_the_visitor_hashs_memory(store: MetadataStore) -> None:
    # visitor_hash keeps the hash keyed with each recent salt, so as not to key it again for every hit.
    salt_store = SaltStore(store.salts)
    monday, _ = salt_store.salts_for(unix(2026, 3, 2, 12, 0))
    monday_id = visitor_hash(monday, "SITE", "203.0.113.9", UA)
    assert visitor_hash_module._keyed.cache_info().currsize == 1
    tuesday, _ = salt_store.salts_for(unix(2026, 3, 3, 12, 0))  # a new day: what was kept is forgotten
    assert visitor_hash_module._keyed.cache_info().currsize == 0
    assert visitor_hash(monday, "SITE", "203.0.113.9", UA) == monday_id  # the same ids, keyed afresh
    assert visitor_hash(tuesday, "SITE", "203.0.113.9", UA) != monday_id
