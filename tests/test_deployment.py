"""The running deployment: built once from settings; a change made through the metadata store reaches the
collector's caches at once, whichever interface made it (REST, CLI, dashboard)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.rate_limiter import RateLimitStorageError
from leadline.store.metadata.records import Site


@pytest.fixture
def site(deployment: Deployment) -> Site:
    account = deployment.metadata.accounts.create("Shop", "owner@shop.test")
    return deployment.metadata.sites.create(account.id, {"name": "Shop"})


def test_updating_a_site_empties_the_collectors_cache_of_it(deployment: Deployment, site: Site) -> None:
    asyncio.run(deployment.site_directory.site(site.id))
    assert deployment.site_directory.cached(site.id) == (True, site)
    deployment.metadata.sites.update(
        site.account_id, site.id, {"multi_domain": True, "multi_domain_option": "combined"}
    )
    assert deployment.site_directory.cached(site.id) == (False, None)
    reloaded = asyncio.run(deployment.site_directory.site(site.id))
    assert reloaded is not None and reloaded.multi_domain


def test_renaming_an_event_empties_the_collectors_event_ids_of_its_site(deployment: Deployment, site: Site) -> None:
    event_id = asyncio.run(deployment.event_directory.event_id(site.id, "Signup"))
    assert deployment.event_directory.cached(site.id, "Signup") == event_id
    deployment.metadata.events.rename(site.id, event_id, "Sign-up")
    assert deployment.event_directory.cached(site.id, "Signup") is None


def test_an_unusable_rate_limit_storage_stops_the_build_before_any_store_opens(tmp_path: Path) -> None:
    with pytest.raises(RateLimitStorageError, match="nowhere://"):
        build_deployment(Settings(data_dir=tmp_path, rate_limit_storage="nowhere://"))
    assert not (tmp_path / "events.duckdb").exists()
