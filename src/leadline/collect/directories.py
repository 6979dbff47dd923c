"""Cached lookups the steps need (sites, event ids): live ones for the collector, synchronous ones for bulk loads.

Live entries expire after a short time so other processes' changes show up; changes made through this
process's metadata store invalidate them at once (the deployment subscribes `forget` to its notifications).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from leadline.store.metadata.events import EventRepository
from leadline.store.metadata.records import Site
from leadline.store.metadata.sites import SiteRepository
from leadline.store.metadata.store import MetadataStore

K = TypeVar("K")
V = TypeVar("V")

ENTRY_SECONDS = 60.0


class ExpiringCache(Generic[K, V]):
    def __init__(self, seconds: float = ENTRY_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds = seconds
        self._clock = clock
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K) -> tuple[bool, V | None]:
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            return False, None
        return True, entry[1]

    def put(self, key: K, value: V) -> None:
        if len(self._entries) > 100_000:
            self._entries.clear()  # a flood of random site ids must not grow memory without bound
        self._entries[key] = (self._clock() + self._seconds, value)

    def forget(self, predicate: Callable[[K], bool]) -> None:
        # Change notifications call this from worker threads while the event loop adds entries: iterate a
        # snapshot (list() of a dict is one step under the GIL) and tolerate keys already gone.
        for key in [key for key in list(self._entries) if predicate(key)]:
            self._entries.pop(key, None)


class SiteDirectory:
    """Sites by id, including "no such site" answers (cached too, so unknown ids cannot hammer the store)."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata
        self._cache: ExpiringCache[str, Site | None] = ExpiringCache()

    def cached(self, site_id: str) -> tuple[bool, Site | None]:
        """(known, site) from memory only: the hot path's way in."""
        return self._cache.get(site_id)

    async def site(self, site_id: str) -> Site | None:
        found, site = self._cache.get(site_id)
        if not found:
            site = await run_in_threadpool(self._metadata.sites.find, site_id)
            self._cache.put(site_id, site)
        return site

    async def claim_hostname(self, site: Site, hostname: str) -> str | None:
        bound = await run_in_threadpool(self._metadata.sites.claim_primary_hostname, site.id, hostname)
        # A new binding is announced by the repository, but a site another process bound first is not.
        self.forget(site.id)
        return bound

    def forget(self, site_id: str) -> None:
        self._cache.forget(lambda key: key == site_id)


class EventDirectory:
    """Event ids by (site, name); a name seen for the first time creates the event."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata
        self._cache: ExpiringCache[tuple[str, str], str] = ExpiringCache()

    def cached(self, site_id: str, name: str) -> str | None:
        found, event_id = self._cache.get((site_id, name))
        return event_id if found else None

    async def event_id(self, site_id: str, name: str) -> str:
        event_id = self.cached(site_id, name)
        if event_id is not None:
            return event_id
        event = await run_in_threadpool(self._metadata.events.get_or_create, site_id, name)
        self._cache.put((site_id, name), event.id)
        return event.id

    def forget_site(self, site_id: str) -> None:
        self._cache.forget(lambda key: key[0] == site_id)


class BulkSiteDirectory:
    """Sites for a bulk load: each looked up once, synchronously, so `cached` always knows the answer.

    With `bind_hostnames=False`, a single-domain site is bound to its first hostname for this load only.
    """

    def __init__(self, sites: SiteRepository, bind_hostnames: bool = True) -> None:
        self._repository = sites
        self._bind_hostnames = bind_hostnames
        self._sites: dict[str, Site | None] = {}

    def cached(self, site_id: str) -> tuple[bool, Site | None]:
        if site_id not in self._sites:
            self._sites[site_id] = self._repository.find(site_id)
        return True, self._sites[site_id]

    async def site(self, site_id: str) -> Site | None:
        return self.cached(site_id)[1]

    async def claim_hostname(self, site: Site, hostname: str) -> str | None:
        bound = self._repository.claim_primary_hostname(site.id, hostname) if self._bind_hostnames else None
        # Later hits of the load take the step's fast path with the bound hostname.
        self._sites[site.id] = replace(site, primary_hostname=bound or hostname)
        return bound or hostname


class BulkEventDirectory:
    """Event ids for a bulk load: a name seen for the first time creates the event, synchronously."""

    def __init__(self, events: EventRepository) -> None:
        self._repository = events
        self._event_ids: dict[tuple[str, str], str] = {}

    def cached(self, site_id: str, name: str) -> str | None:
        return self._look_up(site_id, name)

    async def event_id(self, site_id: str, name: str) -> str:
        return self._look_up(site_id, name)

    def _look_up(self, site_id: str, name: str) -> str:
        event_id = self._event_ids.get((site_id, name))
        if event_id is None:
            event_id = self._event_ids[site_id, name] = self._repository.get_or_create(site_id, name).id
        return event_id
