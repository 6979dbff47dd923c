"""Cached lookups the hot path needs (sites, event ids), so a hit costs no database round trip.

Entries expire after a short time so other processes' changes show up; this process's own API changes
invalidate them at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from leadline.store.metadata.records import Site
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
        for key in [key for key in self._entries if predicate(key)]:
            del self._entries[key]


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
