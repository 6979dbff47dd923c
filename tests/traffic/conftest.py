"""Fixtures for the traffic generator's tests: real stores in a temporary data directory, and a site in them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.store.metadata.records import Site


@pytest.fixture
def deployment(data_dir: Path) -> Iterator[Deployment]:
    built = build_deployment(Settings(data_dir=data_dir))
    yield built
    built.close()


@pytest.fixture
def site(deployment: Deployment) -> Site:
    account = deployment.metadata.accounts.create("Traffic", "traffic@example.test")
    return deployment.metadata.sites.create(account.id, {"name": "Synthetic", "timezone": "America/New_York"})
