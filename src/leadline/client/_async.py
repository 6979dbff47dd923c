"""The asynchronous Leadline REST v1 client, on httpx.AsyncClient (same API as the sync one, awaited)."""

from __future__ import annotations

import asyncio
import random as random_module
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Literal, TypeVar

import httpx

from leadline.client import _operations as op
from leadline.client._defaults import DEFAULT_TIMEOUT, default_user_agent
from leadline.client._retry import RetryPolicy
from leadline.client.models import Account, CurrentVisitors, Deleted, Event, IntegrationClient, Milestone, Page, Site

T = TypeVar("T")


class AsyncLeadlineClient:
    """An async client of one Leadline server with one API key. Use `async with`, or await `aclose()`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        user_agent: str | None = None,
        max_retries: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random_module.random,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": user_agent or default_user_agent()},
            timeout=timeout,
            transport=transport,
        )
        self._retry = RetryPolicy(max_retries=max_retries, random=random)
        self._sleep = sleep
        self.sites = AsyncSites(self)
        self.events = AsyncEvents(self)
        self.milestones = AsyncMilestones(self)
        self.integration_clients = AsyncIntegrationClients(self)

    async def __aenter__(self) -> AsyncLeadlineClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, call: op.Call[T]) -> T:
        """Send one call, retrying on 429, 5xx and transport errors as the retry policy allows."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, params=call.params, json=call.body)
            except httpx.TransportError as error:
                delay = self._retry.delay(attempt, None, call.method, error)
                if delay is None:
                    raise
            else:
                delay = self._retry.delay(attempt, response, call.method)
                if delay is None:
                    return call.result(response)
                await response.aclose()
            await self._sleep(delay)
            attempt += 1

    async def account(self) -> Account:
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
        return await self.send(op.GET_CURRENT_VISITORS(params={"site_id": site_id, "detailed": detailed}))


async def _iterate(
    list_page: Callable[[str | None], Awaitable[Page[T]]], id_of: Callable[[T], str]
) -> AsyncIterator[T]:
    cursor = None
    while True:
        page = await list_page(cursor)
        for item in page.items:
            yield item
        if not page.has_more or not page.items:
            return
        cursor = id_of(page.items[-1])


class AsyncSites:
    def __init__(self, client: AsyncLeadlineClient) -> None:
        self._client = client

    async def list(
        self, *, limit: int | None = None, starting_after: str | None = None, ending_before: str | None = None
    ) -> Page[Site]:
        return await self._client.send(op.LIST_SITES(params=op.page_params(limit, starting_after, ending_before)))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[Site]:
        """Every site of the account, fetching pages of `page_size` as needed."""
        return _iterate(lambda cursor: self.list(limit=page_size, starting_after=cursor), lambda site: site.id)

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
        body = op.site_body(name, sharing, share_password, timezone, multi_domain, multi_domain_option)
        return await self._client.send(op.UPDATE_SITE(site_id, body=body))

    async def delete(self, site_id: str) -> Deleted:
        return await self._client.send(op.DELETE_SITE(site_id))

    async def wipe_data(self, site_id: str) -> None:
        """Retired by the API: always raises (GoneError for a site the key can see)."""
        await self._client.send(op.WIPE_SITE_DATA(site_id))


class AsyncEvents:
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
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_EVENTS(site_id, params=params))

    def iterate(self, site_id: str, *, page_size: int = 100) -> AsyncIterator[Event]:
        return _iterate(lambda cursor: self.list(site_id, limit=page_size, starting_after=cursor), lambda e: e.id)

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
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_MILESTONES(site_id, params=params))

    def iterate(self, site_id: str, *, page_size: int = 100) -> AsyncIterator[Milestone]:
        return _iterate(lambda cursor: self.list(site_id, limit=page_size, starting_after=cursor), lambda m: m.id)

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
        params = op.page_params(limit, starting_after, ending_before)
        return await self._client.send(op.LIST_INTEGRATION_CLIENTS(params=params))

    def iterate(self, *, page_size: int = 100) -> AsyncIterator[IntegrationClient]:
        """Every client of the account, revoked ones included, fetching pages of `page_size` as needed."""
        return _iterate(lambda cursor: self.list(limit=page_size, starting_after=cursor), lambda c: c.id)

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
