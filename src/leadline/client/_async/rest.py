# Source of the generated sync twin in _sync/: edit here, then run scripts/unasync_client.py.
"""The REST API v1 client: the account, aggregations and current visitors, and one object per resource."""

from __future__ import annotations

import random as random_module
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Literal, Protocol, TypeVar

import httpx

from leadline.client import _operations as op
from leadline.client._async.connection import AsyncClientBase, AsyncConnection
from leadline.client._defaults import DEFAULT_TIMEOUT, default_user_agent
from leadline.client._primitives import AsyncSleep, async_sleep
from leadline.client._retry import RetryPolicy
from leadline.client.models import Account, CurrentVisitors, Deleted, Event, IntegrationClient, Milestone, Page, Site

T = TypeVar("T")


class AsyncLeadlineClient(AsyncClientBase):
    """A client of one Leadline server with one API key. Use it as a context manager, or close it when done.

    Answers of 429 and 5xx, and transport errors, are retried with backoff, honouring Retry-After; a POST only
    when the server surely did not act on it.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str | None = None,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: AsyncSleep = async_sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": user_agent or default_user_agent()},
            timeout=timeout,
            transport=transport,
        )
        super().__init__(AsyncConnection(http, RetryPolicy(max_retries=max_retries, random=random), sleep))
        self.sites = AsyncSites(self)
        self.events = AsyncEvents(self)
        self.milestones = AsyncMilestones(self)
        self.integration_clients = AsyncIntegrationClients(self)

    async def send(self, call: op.Call[T]) -> T:
        """Send one call, retrying on 429, 5xx and transport errors as the retry policy allows."""
        return call.result(await self._http.send(call.method, call.path, params=call.params, json=call.body))

    async def account(self) -> Account:
        """The account the API key belongs to."""
        return await self.send(op.GET_ACCOUNT())

    async def aggregations(
        self,
        *,
        entity: Literal["pageview", "event"],
        aggregates: str | Sequence[str],
        entity_id: str | None = None,
        site_id: str | None = None,
        entity_name: str | None = None,
        date_grouping: Literal["hour", "day", "month", "year"] | None = None,
        field_grouping: str | None = None,
        sort_by: str | None = None,
        timezone: str | None = None,
        date_from: int | str | None = None,
        date_to: int | str | None = None,
        limit: int | None = None,
        filters: Sequence[Mapping[str, str]] | None = None,
    ) -> list[dict[str, str]]:
        """Aggregated report rows; `filters` are {field, operator, value} dicts."""
        return await self.send(
            op.aggregations_call(
                entity=entity,
                aggregates=aggregates,
                entity_id=entity_id,
                site_id=site_id,
                entity_name=entity_name,
                date_grouping=date_grouping,
                field_grouping=field_grouping,
                sort_by=sort_by,
                timezone=timezone,
                date_from=date_from,
                date_to=date_to,
                limit=limit,
                filters=filters,
            )
        )

    async def current_visitors(self, site_id: str, detailed: bool = False) -> CurrentVisitors:
        """Visitors on the site now; `detailed` adds the top pages and referrers."""
        return await self.send(op.GET_CURRENT_VISITORS(params={"site_id": site_id, "detailed": detailed}))


class _Identified(Protocol):
    """A listed object: its id is the cursor of the page after it."""

    @property
    def id(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Identified)


async def _iterate(
    client: AsyncLeadlineClient, operation: op.Operation[Page[ItemT]], ids: tuple[str, ...], page_size: int
) -> AsyncIterator[ItemT]:
    """Every item of a list operation, page after page: each page starts after the last item of the one before."""
    cursor = None
    while True:
        page = await client.send(operation(*ids, params=op.page_params(page_size, cursor, None)))
        for item in page.items:
            yield item
        if not page.has_more or not page.items:
            return
        cursor = page.items[-1].id


class AsyncSites:
    """The sites of the account."""

    def __init__(self, client: AsyncLeadlineClient) -> None:
        self._client = client

    async def list(
        self, *, limit: int | None = None, starting_after: str | None = None, ending_before: str | None = None
    ) -> Page[Site]:
        """One page of sites."""
        return await self._client.send(op.LIST_SITES(params=op.page_params(limit, starting_after, ending_before)))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[Site]:
        """Every site of the account, fetching pages of `page_size` as needed."""
        return _iterate(self._client, op.LIST_SITES, (), page_size)

    async def get(self, site_id: str) -> Site:
        return await self._client.send(op.GET_SITE(site_id))

    async def create(
        self,
        name: str,
        *,
        sharing: Literal["none", "private", "public"] | None = None,
        share_password: str | None = None,
        timezone: str | None = None,
        multi_domain: bool | None = None,
        multi_domain_option: Literal["combined", "separate"] | None = None,
    ) -> Site:
        body = op.site_body(name, sharing, share_password, timezone, multi_domain, multi_domain_option)
        return await self._client.send(op.CREATE_SITE(body=body))

    async def update(
        self,
        site_id: str,
        *,
        name: str | None = None,
        sharing: Literal["none", "private", "public"] | None = None,
        share_password: str | None = None,
        timezone: str | None = None,
        multi_domain: bool | None = None,
        multi_domain_option: Literal["combined", "separate"] | None = None,
    ) -> Site:
        """Change the given fields; the others keep their values."""
        body = op.site_body(name, sharing, share_password, timezone, multi_domain, multi_domain_option)
        return await self._client.send(op.UPDATE_SITE(site_id, body=body))

    async def delete(self, site_id: str) -> Deleted:
        return await self._client.send(op.DELETE_SITE(site_id))

    async def wipe_data(self, site_id: str) -> None:
        """Retired by the API: always raises (GoneError for a site the key can see)."""
        await self._client.send(op.WIPE_SITE_DATA(site_id))


class AsyncEvents:
    """The events (goals) of a site."""

    def __init__(self, client: AsyncLeadlineClient) -> None:
        self._client = client

    async def list(
        self,
        site_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> Page[Event]:
        """One page of the site's events."""
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_EVENTS(site_id, params=params))

    def iterate(self, site_id: str, *, page_size: int = 100) -> AsyncIterator[Event]:
        """Every event of the site, fetching pages of `page_size` as needed."""
        return _iterate(self._client, op.LIST_EVENTS, (site_id,), page_size)

    async def get(self, site_id: str, event_id: str) -> Event:
        return await self._client.send(op.GET_EVENT(site_id, event_id))

    async def create(self, site_id: str, name: str) -> Event:
        return await self._client.send(op.CREATE_EVENT(site_id, body={"name": name}))

    async def update(self, site_id: str, event_id: str, *, name: str | None = None) -> Event:
        return await self._client.send(op.UPDATE_EVENT(site_id, event_id, body={"name": name}))

    async def delete(self, site_id: str, event_id: str) -> Deleted:
        return await self._client.send(op.DELETE_EVENT(site_id, event_id))

    async def wipe_data(self, site_id: str, event_id: str) -> None:
        """Delete the event's completions, keeping the event."""
        await self._client.send(op.WIPE_EVENT_DATA(site_id, event_id))


class AsyncMilestones:
    """The milestones (annotations) of a site."""

    def __init__(self, client: AsyncLeadlineClient) -> None:
        self._client = client

    async def list(
        self,
        site_id: str,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        ending_before: str | None = None,
    ) -> Page[Milestone]:
        """One page of the site's milestones."""
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_MILESTONES(site_id, params=params))

    def iterate(self, site_id: str, *, page_size: int = 100) -> AsyncIterator[Milestone]:
        """Every milestone of the site, fetching pages of `page_size` as needed."""
        return _iterate(self._client, op.LIST_MILESTONES, (site_id,), page_size)

    async def get(self, site_id: str, milestone_id: str) -> Milestone:
        return await self._client.send(op.GET_MILESTONE(site_id, milestone_id))

    async def create(self, site_id: str, name: str, milestone_date: str) -> Milestone:
        """`milestone_date` is "YYYY-MM-DD"."""
        body = {"name": name, "milestone_date": milestone_date}
        return await self._client.send(op.CREATE_MILESTONE(site_id, body=body))

    async def update(
        self, site_id: str, milestone_id: str, *, name: str | None = None, milestone_date: str | None = None
    ) -> Milestone:
        body = {"name": name, "milestone_date": milestone_date}
        return await self._client.send(op.UPDATE_MILESTONE(site_id, milestone_id, body=body))

    async def delete(self, site_id: str, milestone_id: str) -> Deleted:
        return await self._client.send(op.DELETE_MILESTONE(site_id, milestone_id))


class AsyncIntegrationClients:
    """The account's Integration API (OAuth2) clients; every call needs a `*` key."""

    def __init__(self, client: AsyncLeadlineClient) -> None:
        self._client = client

    async def list(
        self, *, limit: int | None = None, starting_after: str | None = None, ending_before: str | None = None
    ) -> Page[IntegrationClient]:
        """One page of the account's clients, revoked ones included."""
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_INTEGRATION_CLIENTS(params=params))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[IntegrationClient]:
        """Every client of the account, revoked ones included, fetching pages of `page_size` as needed."""
        return _iterate(self._client, op.LIST_INTEGRATION_CLIENTS, (), page_size)

    async def get(self, client_id: str) -> IntegrationClient:
        return await self._client.send(op.GET_INTEGRATION_CLIENT(client_id))

    async def create(
        self, site_id: str, *, name: str | None = None, datasets: str | Sequence[str] | None = None
    ) -> IntegrationClient:
        """A new client reading `datasets` of the site (default all); its `client_secret` is in this answer only."""
        body = op.integration_client_body(site_id, name, datasets)
        return await self._client.send(op.CREATE_INTEGRATION_CLIENT(body=body))

    async def rotate(self, client_id: str) -> IntegrationClient:
        """A new `client_secret`; the old one and every token got with it stop working."""
        return await self._client.send(op.ROTATE_INTEGRATION_CLIENT_SECRET(client_id))

    async def revoke(self, client_id: str) -> Deleted:
        """Revoke the client: its secret and tokens stop working at once."""
        return await self._client.send(op.REVOKE_INTEGRATION_CLIENT(client_id))
