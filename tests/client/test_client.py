"""The Leadline Python client against a live server: every operation, pagination, errors, async, rate limits."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from leadline.client import (
    AsyncLeadlineClient,
    AuthenticationError,
    BadRequestError,
    Deleted,
    GoneError,
    IntegrationClient,
    LeadlineClient,
    NotFoundError,
    PermissionDeniedError,
    Site,
)
from tests.conftest import Tenant
from tests.integrations.conftest import Credentials, get_token
from tests.live_server import LiveServer, start_server


def test_account_answers_for_the_key(server: LiveServer, tenant: Tenant) -> None:
    with LeadlineClient(server.base_url, tenant.key) as client:
        account = client.account()
    assert (account.id, account.name, account.email) == (tenant.account.id, "Acme", "acme@example.com")
    assert account.object == "account"


def test_iterating_sites_visits_every_page(server: LiveServer, tenant: Tenant) -> None:
    with LeadlineClient(server.base_url, tenant.key) as client:
        created = [client.sites.create(f"Site {number}") for number in range(5)]

        first = client.sites.list(limit=2)
        assert [site.id for site in first.items] == [site.id for site in created[:2]]
        assert first.has_more
        last = client.sites.list(limit=2, starting_after=created[3].id)
        assert ([site.id for site in last.items], last.has_more) == ([created[4].id], False)
        before = client.sites.list(limit=10, ending_before=created[2].id)
        assert [site.id for site in before.items] == [site.id for site in created[:2]]

        assert [site.id for site in client.sites.iterate(page_size=2)] == [site.id for site in created]


def test_every_operation_round_trips(server: LiveServer, tenant: Tenant) -> None:
    with LeadlineClient(server.base_url, tenant.key) as client:
        site = client.sites.create("Bugs Bunny Portfolio", timezone="America/New_York")
        assert isinstance(site, Site)
        assert (site.name, site.timezone, site.sharing, site.multi_domain) == (
            "Bugs Bunny Portfolio",
            "America/New_York",
            "none",
            False,
        )
        assert client.sites.get(site.id) == site
        updated = client.sites.update(site.id, multi_domain=True, multi_domain_option="separate")
        assert (updated.name, updated.multi_domain, updated.multi_domain_option) == (site.name, True, "separate")
        private = client.sites.update(site.id, sharing="private", share_password="carrots")
        assert private.sharing == "private"
        with pytest.raises(GoneError) as gone:
            client.sites.wipe_data(site.id)
        assert gone.value.status == 410

        event = client.events.create(site.id, "Signed up")
        assert (event.name, event.site_id) == ("Signed up", site.id)
        assert client.events.get(site.id, event.id) == event
        renamed = client.events.update(site.id, event.id, name="Signed up to newsletter")
        assert (renamed.id, renamed.name) == (event.id, "Signed up to newsletter")
        assert [listed.id for listed in client.events.list(site.id).items] == [event.id]
        assert [listed.id for listed in client.events.iterate(site.id, page_size=1)] == [event.id]
        client.events.wipe_data(site.id, event.id)
        assert client.events.delete(site.id, event.id) == Deleted(id=event.id, object="event", deleted=True)
        with pytest.raises(NotFoundError):
            client.events.get(site.id, event.id)

        milestone = client.milestones.create(site.id, "Launch", "2026-01-15")
        assert (milestone.name, milestone.milestone_date, milestone.site_id) == ("Launch", "2026-01-15", site.id)
        assert client.milestones.get(site.id, milestone.id) == milestone
        moved = client.milestones.update(site.id, milestone.id, milestone_date="2026-01-16")
        assert (moved.name, moved.milestone_date) == ("Launch", "2026-01-16")
        assert [listed.id for listed in client.milestones.list(site.id).items] == [milestone.id]
        assert [listed.id for listed in client.milestones.iterate(site.id)] == [milestone.id]
        assert client.milestones.delete(site.id, milestone.id).deleted

        assert client.sites.delete(site.id) == Deleted(id=site.id, object="site", deleted=True)
        with pytest.raises(NotFoundError):
            client.sites.get(site.id)


def test_errors_carry_the_servers_message_and_status(server: LiveServer, tenant: Tenant) -> None:
    stranger = LeadlineClient(server.base_url, "ll_not-a-key", max_retries=0)
    with stranger, pytest.raises(AuthenticationError) as unauthenticated:
        stranger.account()
    assert unauthenticated.value.status == 401
    assert unauthenticated.value.message == server.client("ll_not-a-key").get("/v1/account").json()["error"]

    with LeadlineClient(server.base_url, tenant.key, max_retries=0) as client:
        with pytest.raises(NotFoundError) as missing:
            client.sites.get("NOSUCHSITE")
        assert missing.value.status == 404
        assert missing.value.message == tenant.http.get("/v1/sites/NOSUCHSITE").json()["error"]

        with pytest.raises(BadRequestError) as bad:
            client.sites.list(limit=1000)
        assert bad.value.status == 400
        assert bad.value.message == tenant.http.get("/v1/sites", params={"limit": 1000}).json()["error"]
        assert "limit" in bad.value.message

    reader = server.new_key(tenant.account, "all-sites-readonly")
    read_only = LeadlineClient(server.base_url, reader, max_retries=0)
    with read_only, pytest.raises(PermissionDeniedError) as denied:
        read_only.sites.create("Not allowed")
    assert denied.value.status == 403


def test_aggregations_and_current_visitors_answer(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    with LeadlineClient(server.base_url, tenant.key) as client:
        rows = client.aggregations(
            entity="pageview",
            entity_id=site.id,
            aggregates=["visits", "uniques", "pageviews"],
            date_grouping="day",
            field_grouping="pathname",
            sort_by="pageviews:desc",
            timezone="Europe/Berlin",
            filters=[{"field": "browser", "operator": "is not", "value": "Safari"}],
        )
        assert isinstance(rows, list)
        assert all(isinstance(value, str) for row in rows for value in row.values())
        with pytest.raises(BadRequestError):
            client.aggregations(entity="pageview", entity_id=site.id, aggregates="visits", filters=[{"x": "y"}])

        assert client.current_visitors(site.id).total == 0
        detailed = client.current_visitors(site.id, detailed=True)
        assert (detailed.total, detailed.content, detailed.referrers) == (0, (), ())


def test_the_async_client_does_the_same(server: LiveServer, tenant: Tenant) -> None:
    async def scenario() -> None:
        async with AsyncLeadlineClient(server.base_url, tenant.key) as client:
            assert (await client.account()).id == tenant.account.id
            created = [await client.sites.create(f"Async {number}") for number in range(3)]
            assert [site.id async for site in client.sites.iterate(page_size=2)] == [site.id for site in created]
            site = created[0]
            assert (await client.sites.update(site.id, name="Renamed")).name == "Renamed"
            assert (await client.sites.get(site.id)).name == "Renamed"
            with pytest.raises(GoneError):
                await client.sites.wipe_data(site.id)

            event = await client.events.create(site.id, "Clicked")
            assert (await client.events.update(site.id, event.id, name="Tapped")).name == "Tapped"
            assert [found.id async for found in client.events.iterate(site.id)] == [event.id]
            await client.events.wipe_data(site.id, event.id)
            assert (await client.events.delete(site.id, event.id)).deleted

            milestone = await client.milestones.create(site.id, "Launch", "2026-01-15")
            assert (await client.milestones.get(site.id, milestone.id)) == milestone
            assert (await client.milestones.list(site.id)).items == (milestone,)
            assert (await client.milestones.delete(site.id, milestone.id)).deleted

            assert isinstance(
                await client.aggregations(entity="pageview", entity_id=site.id, aggregates="visits"), list
            )
            assert (await client.current_visitors(site.id, detailed=True)).total == 0
            assert (await client.sites.delete(site.id)).deleted
            with pytest.raises(NotFoundError):
                await client.sites.get(site.id)

    asyncio.run(scenario())


def test_integration_clients_are_created_listed_rotated_and_revoked(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    with LeadlineClient(server.base_url, tenant.key) as client:
        created = client.integration_clients.create(site.id, name="Warehouse", datasets=["daily_pages"])
        assert isinstance(created, IntegrationClient)
        assert (created.object, created.client_id, created.site_id) == ("integration_client", created.id, site.id)
        assert (created.name, created.datasets, created.revoked_at) == ("Warehouse", ("daily_pages",), None)
        assert created.client_secret is not None and created.client_secret not in repr(created)
        get_token(server, Credentials(created.client_id, created.client_secret, site))

        fetched = client.integration_clients.get(created.id)
        assert fetched.client_secret is None
        assert fetched.model_copy(update={"client_secret": created.client_secret}) == created
        second = client.integration_clients.create(site.id, datasets="daily_events,daily_sources")
        assert second.datasets == ("daily_events", "daily_sources")
        assert [found.id for found in client.integration_clients.list(limit=1).items] == [created.id]
        assert [found.id for found in client.integration_clients.iterate(page_size=1)] == [created.id, second.id]

        rotated = client.integration_clients.rotate(created.id)
        assert rotated.client_secret is not None and rotated.client_secret != created.client_secret
        get_token(server, Credentials(created.id, rotated.client_secret, site))

        revoked = client.integration_clients.revoke(created.id)
        assert revoked == Deleted(id=created.id, object="integration_client", deleted=True)
        assert client.integration_clients.get(created.id).revoked_at is not None
        with pytest.raises(BadRequestError):
            client.integration_clients.rotate(created.id)
        with pytest.raises(BadRequestError) as unknown:
            client.integration_clients.create(site.id, datasets=["daily_weather"])
        assert "daily_weather" in unknown.value.message
        with pytest.raises(NotFoundError):
            client.integration_clients.create("NOSUCHSITE")


def test_the_async_client_manages_integration_clients_too(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)

    async def scenario() -> None:
        async with AsyncLeadlineClient(server.base_url, tenant.key) as client:
            created = await client.integration_clients.create(site.id)
            assert created.client_secret is not None
            assert (await client.integration_clients.get(created.id)).client_secret is None
            assert [found.id async for found in client.integration_clients.iterate()] == [created.id]
            assert (await client.integration_clients.list()).items[0].id == created.id
            rotated = await client.integration_clients.rotate(created.id)
            assert rotated.client_secret not in (None, created.client_secret)
            assert (await client.integration_clients.revoke(created.id)).deleted
            with pytest.raises(NotFoundError):
                await client.integration_clients.get("NOSUCHCLNT")

    asyncio.run(scenario())


def test_a_key_without_full_access_cannot_manage_integration_clients(server: LiveServer, tenant: Tenant) -> None:
    site = tenant.site(server)
    manager = server.new_key(tenant.account, f"manage:{site.id}")
    with LeadlineClient(server.base_url, manager, max_retries=0) as client, pytest.raises(PermissionDeniedError):
        client.integration_clients.create(site.id)


def test_a_rate_limited_server_is_waited_out(tmp_path: Path) -> None:
    limited = start_server(tmp_path / "data", {"LEADLINE_MANAGEMENT_RATE_LIMIT": "2 per 2 seconds"})
    try:
        account = limited.new_account()
        key = limited.new_key(account, "*")
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            time.sleep(seconds)

        with LeadlineClient(limited.base_url, key, sleep=sleep) as client:
            started = time.monotonic()
            answers = [client.account() for _ in range(3)]
            elapsed = time.monotonic() - started
    finally:
        limited.stop()
    assert [answer.id for answer in answers] == [account.id] * 3
    # The third call was answered 429 once, and the client waited exactly what Retry-After said (whole seconds).
    assert len(slept) == 1
    assert slept[0] in (1.0, 2.0)
    assert slept[0] <= elapsed < 5
