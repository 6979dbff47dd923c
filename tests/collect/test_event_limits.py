"""Hits create events on first sight, but only so many per site (a cap) and so fast (a rate limit).

Regression (issue 13, item 2): any visitor could create any number of events by sending new names.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from leadline.collect.directories import BulkEventDirectory, BulkSiteDirectory
from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Pipeline
from leadline.collect.steps import collection_steps
from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.store.metadata.records import EventLimitError, Site
from tests.conftest import Tenant
from tests.live_server import LiveServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"


def completion(site_id: str, name: str) -> PendingHit:
    body = {"site": site_id, "url": "https://shop.example/buy", "name": name}
    return PendingHit(
        payload=parse_payload(httpx.Request("POST", "/", json=body).read()),
        received_at=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        ip="203.0.113.5",
        user_agent=BROWSER,
    )


def deployment_with(tmp_path: Path, **settings: object) -> Deployment:
    return build_deployment(Settings(data_dir=tmp_path, **settings))  # type: ignore[arg-type]


def new_site(deployment: Deployment, name: str = "Shop") -> Site:
    account = deployment.metadata.accounts.create(name, f"{name.lower()}@shop.example", "UTC")
    return deployment.metadata.sites.create(account.id, {"name": name})


def outcomes(deployment: Deployment, site: Site, names: list[str]) -> Counter[str]:
    pipeline = Pipeline(collection_steps(deployment.step_parts))

    async def send_all() -> Counter[str]:
        results = [await pipeline.run(completion(site.id, name)) for name in names]
        return Counter("accepted" if result is None else result.value for result in results)

    return asyncio.run(send_all())


@pytest.fixture
def roomy(tmp_path: Path) -> Iterator[Deployment]:
    """The default cap (500 events), with a rate limit that lets 600 names through."""
    deployment = deployment_with(tmp_path, new_event_rate_limit="1000/hour")
    yield deployment
    deployment.close()


def test_600_new_names_create_500_events_and_the_rest_are_dropped(roomy: Deployment) -> None:
    site = new_site(roomy)
    names = [f"event {number}" for number in range(600)]
    assert outcomes(roomy, site, names) == {"accepted": 500, DropReason.TOO_MANY_EVENTS.value: 100}
    assert roomy.metadata.events.count(site.id) == 500
    # Names that exist keep counting; another site has its own 500.
    assert outcomes(roomy, site, ["event 0", "event 499", "event 500"]) == {"accepted": 2, "too_many_events": 1}
    assert outcomes(roomy, new_site(roomy, "Other"), ["event 600"]) == {"accepted": 1}


def test_deleting_an_event_at_the_cap_frees_a_place(roomy: Deployment) -> None:
    site = new_site(roomy)
    events = roomy.metadata.events
    created = [events.create(site.id, f"event {number}") for number in range(500)]
    assert outcomes(roomy, site, ["one more"]) == {"too_many_events": 1}
    events.delete(site.id, created[0].id)
    assert outcomes(roomy, site, ["one more"]) == {"accepted": 1}


def test_new_names_beyond_the_rate_limit_are_dropped(tmp_path: Path) -> None:
    deployment = deployment_with(tmp_path, new_event_rate_limit="3/hour")
    try:
        site = new_site(deployment)
        names = [f"event {number}" for number in range(5)]
        assert outcomes(deployment, site, names) == {"accepted": 3, "new_event_rate_limited": 2}
        assert [event.name for event in deployment.metadata.events.list_all(site.id)] == names[:3]
        # Known names are never limited; another site's budget is its own.
        assert outcomes(deployment, site, names[:3] * 3) == {"accepted": 9}
        assert outcomes(deployment, new_site(deployment, "Other"), names[:3]) == {"accepted": 3}
    finally:
        deployment.close()


def test_the_cap_counts_every_event_and_holds_against_concurrent_creators(roomy: Deployment) -> None:
    site = new_site(roomy)
    events = roomy.metadata.events

    def create(number: int) -> bool:
        try:
            events.create(site.id, f"event {number}", max_events=10)
        except EventLimitError:
            return False
        return True

    async def race() -> list[bool]:
        return await asyncio.gather(*(asyncio.to_thread(create, number) for number in range(40)))

    assert sum(asyncio.run(race())) == 10
    assert events.count(site.id) == 10


def test_a_bulk_load_drops_names_beyond_the_cap(roomy: Deployment) -> None:
    site = new_site(roomy)
    directory = BulkEventDirectory(roomy.metadata.events, max_events=2)
    parts = replace(roomy.step_parts, sites=BulkSiteDirectory(roomy.metadata.sites), events=directory)
    pipeline = Pipeline(collection_steps(parts))
    results = [pipeline.run_now(completion(site.id, name)) for name in ("a", "b", "c", "a")]
    assert results == [None, None, DropReason.TOO_MANY_EVENTS, None]


def test_the_owner_cannot_create_events_beyond_the_cap_either(server: LiveServer, tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    for number in range(498):  # set up directly: the default cap is 500
        server.metadata.events.create(site_id, f"event {number}")
    hit = {"site": site_id, "url": "https://shop.example/", "name": "Signed up"}
    assert httpx.post(server.url("/api/event"), json=hit, headers={"User-Agent": BROWSER}).status_code == 202
    assert tenant.http.post(f"/v1/sites/{site_id}/events", json={"name": "Newsletter"}).status_code == 200
    refused = tenant.http.post(f"/v1/sites/{site_id}/events", json={"name": "One too many"})
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "this site has reached its limit of 500 events: delete unused events before creating more"
    }
    hit["name"] = "Also one too many"
    assert httpx.post(server.url("/api/event"), json=hit, headers={"User-Agent": BROWSER}).status_code == 202
    names = {event.name for event in server.metadata.events.list_all(site_id)}
    assert len(names) == 500 and {"Signed up", "Newsletter"} <= names
