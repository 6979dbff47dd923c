"""A site changed through one worker is forgotten by every other worker's caches, through Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.store.metadata.changes import SiteChanges
from leadline.store.shared.connection import open_redis
from leadline.store.shared.redis_changes import SiteChangeRelay


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def two_workers(tmp_path: Path, redis_url: str) -> Iterator[tuple[Deployment, Deployment]]:
    """Two deployments over one metadata database and one Redis, as two worker processes have."""

    def worker(name: str) -> Deployment:
        return build_deployment(
            Settings(
                data_dir=tmp_path / name,
                database_url=f"sqlite:///{tmp_path / 'meta.sqlite3'}",
                redis_url=redis_url,
                secret_key=SecretStr("a secret key both workers are configured with"),
            )
        )

    first, second = worker("first"), worker("second")
    yield first, second
    first.close()
    second.close()


def test_a_site_changed_through_one_worker_leaves_the_other_workers_cache(
    two_workers: tuple[Deployment, Deployment],
) -> None:
    first, second = two_workers
    account = first.metadata.accounts.create("Acme", "acme@example.com", "UTC")
    site = first.metadata.sites.create(account.id, {"name": "Shop"})
    assert asyncio.run(second.site_directory.site(site.id)) == site  # now cached in the second worker
    first.metadata.sites.update(account.id, site.id, {"name": "Renamed shop"})
    assert eventually(lambda: second.site_directory.cached(site.id) == (False, None))
    renamed = asyncio.run(second.site_directory.site(site.id))
    assert renamed is not None and renamed.name == "Renamed shop"


def test_a_worker_hears_of_its_own_change_once(tmp_path: Path, redis_url: str) -> None:
    with open_redis(redis_url) as first_client, open_redis(redis_url) as second_client:
        mine, theirs = SiteChanges(), SiteChanges()
        heard: dict[str, list[str]] = {"mine": [], "theirs": []}
        mine.subscribe(heard["mine"].append)
        theirs.subscribe(heard["theirs"].append)
        relays = [SiteChangeRelay(first_client, mine), SiteChangeRelay(second_client, theirs)]
        for relay in relays:
            relay.start()
        try:
            mine.site_changed("SITE1")
            assert eventually(lambda: heard["theirs"] == ["SITE1"])
            time.sleep(0.1)  # time enough for an echo of its own message to arrive, if it were not skipped
            assert heard == {"mine": ["SITE1"], "theirs": ["SITE1"]}
        finally:
            for relay in relays:
                relay.stop()
