"""Fixtures for the traffic generator's tests: real stores in a temporary data directory, and a site in them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadline.config import Settings
from leadline.services import Services, build_services
from leadline.store.metadata.records import Site


@pytest.fixture
def services(data_dir: Path) -> Iterator[Services]:
    built = build_services(Settings(data_dir=data_dir))
    yield built
    built.close()


@pytest.fixture
def site(services: Services) -> Site:
    account = services.metadata.accounts.create("Traffic", "traffic@example.test")
    return services.metadata.sites.create(account.id, {"name": "Synthetic", "timezone": "America/New_York"})
