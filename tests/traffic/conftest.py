"""Fixtures for the traffic generator's tests: real stores in a temporary data directory, and a site in them."""

from __future__ import annotations

import pytest

from leadline.deployment import Deployment
from leadline.store.metadata.records import Site


@pytest.fixture
def site(deployment: Deployment) -> Site:
    account = deployment.metadata.accounts.create("Traffic", "traffic@example.test")
    return deployment.metadata.sites.create(account.id, {"name": "Synthetic", "timezone": "America/New_York"})
