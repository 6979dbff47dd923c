"""A single-domain site is bound to the hostname of its first accepted hit, and its owner can see and reset it.

Regression (issue 13, item 1): the first hit to reach a site used to bind it in the first step, even a
`curl` hit the bot step dropped right after, and the binding could be neither seen nor reset.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from leadline.collect.batches import HitBatches
from leadline.collect.payload import parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Pipeline
from leadline.collect.steps import bind_hostname, collection_steps
from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.store.metadata.records import Site
from tests.conftest import Tenant
from tests.live_server import LiveServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"
CURL = "curl/8.5.0"


def hit(site_id: str, url: str, user_agent: str = BROWSER, name: str = "") -> PendingHit:
    body = {"site": site_id, "url": url, **({"name": name} if name else {})}
    return PendingHit(
        payload=parse_payload(httpx.Request("POST", "/", json=body).read()),
        received_at=datetime(2026, 1, 1, tzinfo=UTC).timestamp(),
        ip="203.0.113.5",
        user_agent=user_agent,
    )


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    # One new event name per hour, so a hit naming a second one is dropped by the event limits.
    built = build_deployment(Settings(data_dir=tmp_path, new_event_rate_limit="1/hour"))
    yield built
    built.close()


@pytest.fixture
def site(deployment: Deployment) -> Site:
    account = deployment.metadata.accounts.create("Shop", "owner@shop.example", "UTC")
    return deployment.metadata.sites.create(account.id, {"name": "Shop"})


def run(pipeline: Pipeline, pending: PendingHit) -> DropReason | None:
    return asyncio.run(pipeline.run(pending))


def bound_hostname(deployment: Deployment, site: Site) -> str | None:
    found = deployment.metadata.sites.find(site.id)
    assert found is not None
    return found.primary_hostname


def test_a_bot_hit_does_not_bind_a_fresh_site(deployment: Deployment, site: Site) -> None:
    pipeline = Pipeline(collection_steps(deployment.step_parts))
    assert run(pipeline, hit(site.id, "https://attacker.example/", CURL)) is DropReason.BOT
    assert bound_hostname(deployment, site) is None
    assert run(pipeline, hit(site.id, "https://www.shop.example/")) is None
    assert bound_hostname(deployment, site) == "shop.example"
    assert run(pipeline, hit(site.id, "https://attacker.example/")) is DropReason.FOREIGN_HOSTNAME
    assert run(pipeline, hit(site.id, "https://shop.example/pricing")) is None


def test_a_hit_dropped_by_the_event_limits_does_not_bind_a_fresh_site(deployment: Deployment, site: Site) -> None:
    deployment.metadata.events.create(site.id, "Signed up")
    pipeline = Pipeline(collection_steps(deployment.step_parts))
    assert run(pipeline, hit(site.id, "https://shop.example/", name="First")) is None  # the hour's one new name
    deployment.metadata.sites.update(site.account_id, site.id, {"primary_hostname": None})
    refused = hit(site.id, "https://attacker.example/", name="Second")
    assert run(pipeline, refused) is DropReason.NEW_EVENT_RATE_LIMITED
    assert bound_hostname(deployment, site) is None


def test_a_hit_that_loses_the_race_to_bind_is_dropped_as_foreign(deployment: Deployment, site: Site) -> None:
    # Both hits passed the site check while the site was unbound; the first to bind wins.
    step = bind_hostname(deployment.site_directory)
    first, second = hit(site.id, "https://shop.example/"), hit(site.id, "https://attacker.example/")
    first.site = second.site = site

    async def bind(pending: PendingHit) -> DropReason | None:
        result = step(pending)
        return result if result is None or isinstance(result, DropReason) else await result

    assert asyncio.run(bind(first)) is None
    assert asyncio.run(bind(second)) is DropReason.FOREIGN_HOSTNAME
    assert bound_hostname(deployment, site) == "shop.example"


def test_two_hostnames_in_one_batch_bind_one_and_drop_the_other(deployment: Deployment, site: Site) -> None:
    # Both reach the binding step together (the collector runs hits that arrive together as one batch); each
    # claim waits for the metadata store, so each hit goes on alone and the claims race: exactly one wins.
    pipeline = Pipeline(collection_steps(deployment.step_parts))
    hostnames = ["shop.example", "attacker.example"]

    async def one_batch() -> list[DropReason | None]:
        batches = HitBatches(pipeline)
        answers = [batches.submit(hit(site.id, f"https://{hostname}/")) for hostname in hostnames]
        return [await answer for answer in answers]

    outcomes = asyncio.run(one_batch())
    assert sorted(outcomes, key=str) == sorted([None, DropReason.FOREIGN_HOSTNAME], key=str)
    assert bound_hostname(deployment, site) == hostnames[outcomes.index(None)]
    assert pipeline.stats.accepted == 1 and pipeline.stats.dropped == {"foreign_hostname": 1}


def test_multi_domain_sites_are_never_bound(deployment: Deployment, site: Site) -> None:
    deployment.metadata.sites.update(
        site.account_id, site.id, {"multi_domain": True, "multi_domain_option": "separate"}
    )
    pipeline = Pipeline(collection_steps(deployment.step_parts))
    for url in ("https://shop.example/", "https://blog.example/"):
        assert run(pipeline, hit(site.id, url)) is None
    assert bound_hostname(deployment, site) is None


def test_a_reset_or_a_new_domain_reaches_the_collector_at_once(deployment: Deployment, site: Site) -> None:
    pipeline = Pipeline(collection_steps(deployment.step_parts))
    assert run(pipeline, hit(site.id, "https://old.example/")) is None  # binds, and the site is cached bound
    sites = deployment.metadata.sites
    sites.update(site.account_id, site.id, {"primary_hostname": None})
    assert run(pipeline, hit(site.id, "https://new.example/")) is None
    assert bound_hostname(deployment, site) == "new.example"
    sites.update(site.account_id, site.id, {"primary_hostname": "shop.example"})
    assert run(pipeline, hit(site.id, "https://new.example/")) is DropReason.FOREIGN_HOSTNAME
    assert run(pipeline, hit(site.id, "https://www.shop.example/")) is None


def send(server: LiveServer, site_id: str, url: str, user_agent: str = BROWSER) -> None:
    answer = httpx.post(
        server.url("/api/event"), json={"site": site_id, "url": url}, headers={"User-Agent": user_agent}
    )
    assert answer.status_code == 202


def test_the_owner_sees_the_binding_of_the_first_accepted_hit_only(server: LiveServer, tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    send(server, site_id, "https://attacker.example/", CURL)
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == []
    send(server, site_id, "https://www.shop.example/")
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == ["shop.example"]
    listed = tenant.http.get("/v1/sites", params={"limit": 100}).json()["data"]
    assert [site["domains"] for site in listed if site["id"] == site_id] == [["shop.example"]]


def test_the_owner_resets_and_sets_the_domain(server: LiveServer, tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop", "domains": ["Wrong.Example."]}).json()["id"]
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == ["wrong.example"]
    reset = tenant.http.post(f"/v1/sites/{site_id}", json={"domains": []})
    assert reset.status_code == 200 and reset.json()["domains"] == []
    send(server, site_id, "https://shop.example/")
    assert tenant.http.get(f"/v1/sites/{site_id}").json()["domains"] == ["shop.example"]
    moved = tenant.http.post(f"/v1/sites/{site_id}", data={"domains": "www.newshop.example"})  # a form body
    assert moved.json()["domains"] == ["newshop.example"]
    assert tenant.http.post(f"/v1/sites/{site_id}", data={"domains": ""}).json()["domains"] == []
    # Changing other settings leaves the binding alone.
    send(server, site_id, "https://shop.example/")
    assert tenant.http.post(f"/v1/sites/{site_id}", json={"name": "Renamed"}).json()["domains"] == ["shop.example"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"domains": ["not a host"]}, "domains.0: 'not a host' is not a hostname"),
        ({"domains": ["=cmd|x"]}, "is not a hostname"),
        ({"domains": ["a.example", "b.example"]}, "send at most one"),
        ({"domains": "shop.example"}, "domains: input should be a valid list"),
        ({"multi_domain": True, "multi_domain_option": "combined", "domains": ["a.example"]}, "multi_domain is false"),
    ],
)
def test_bad_domains_are_a_400(tenant: Tenant, body: dict[str, object], message: str) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop"}).json()["id"]
    answer = tenant.http.post(f"/v1/sites/{site_id}", json=body)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_a_site_that_becomes_multi_domain_forgets_its_binding(tenant: Tenant) -> None:
    site_id = tenant.http.post("/v1/sites", json={"name": "Shop", "domains": ["shop.example"]}).json()["id"]
    multi = {"multi_domain": True, "multi_domain_option": "combined"}
    assert tenant.http.post(f"/v1/sites/{site_id}", json=multi).json()["domains"] == []
    single = tenant.http.post(f"/v1/sites/{site_id}", json={"multi_domain": False}).json()
    assert single["domains"] == [] and single["multi_domain_option"] is None
