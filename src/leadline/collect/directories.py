"""Cached lookups the steps need (sites, event ids): live ones for the collector, synchronous ones for bulk loads.

Live entries expire after a short time so other processes' changes show up; changes made through this
process's metadata store invalidate them at once (the deployment subscribes `forget` to its notifications).
Event names are visitor-controlled, so creating events on first sight is capped per site and rate-limited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

from starlette.concurrency import run_in_threadpool

from leadline.collect.pipeline import DropReason
from leadline.rate_limiter import RateLimit
from leadline.store.metadata.events import EventRepository
from leadline.store.metadata.records import EventLimitError, Site
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
    """Event ids by (site, name); a name seen for the first time creates the event, within the site's limits.

    `max_events` caps a site's events (those created through the API count too); `new_names` limits how
    many names hits may create per site. Names that exist are always found, whatever the limits.
    """

    def __init__(
        self, metadata: MetadataStore, max_events: int | None = None, new_names: RateLimit | None = None
    ) -> None:
        self._metadata = metadata
        self._max_events = max_events
        self._new_names = new_names
        self._cache: ExpiringCache[tuple[str, str], str] = ExpiringCache()
        # Sites found at their cap: further new names drop without a write attempt until one is deleted.
        self._full: ExpiringCache[str, bool] = ExpiringCache()

    def cached(self, site_id: str, name: str) -> str | None:
        found, event_id = self._cache.get((site_id, name))
        return event_id if found else None

    async def event_id(self, site_id: str, name: str) -> str | DropReason:
        event_id = self.cached(site_id, name)
        if event_id is not None:
            return event_id
        found = await run_in_threadpool(self._find_or_create, site_id, name)
        if not isinstance(found, DropReason):
            self._cache.put((site_id, name), found)
        return found

    def _find_or_create(self, site_id: str, name: str) -> str | DropReason:
        events = self._metadata.events
        existing = events.find_by_name(site_id, name)
        if existing is not None:
            return existing.id
        if self._full.get(site_id)[0]:
            return DropReason.TOO_MANY_EVENTS
        if self._new_names is not None and self._new_names.retry_after(site_id) is not None:
            return DropReason.NEW_EVENT_RATE_LIMITED
        try:
            return events.get_or_create(site_id, name, self._max_events).id
        except EventLimitError:
            self._full.put(site_id, True)
            return DropReason.TOO_MANY_EVENTS

    def forget_site(self, site_id: str) -> None:
        self._cache.forget(lambda key: key[0] == site_id)
        self._full.forget(lambda key: key == site_id)


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
    """Event ids for a bulk load: a name seen for the first time creates the event, synchronously.

    With `max_events`, names beyond the site's cap drop as the collector would drop them. The new-name
    rate limit does not apply: a load's hits span simulated days, not the wall-clock hour it counts.
    """

    def __init__(self, events: EventRepository, max_events: int | None = None) -> None:
        self._repository = events
        self._max_events = max_events
        self._event_ids: dict[tuple[str, str], str] = {}

    def cached(self, site_id: str, name: str) -> str | None:
        return self._event_ids.get((site_id, name))

    async def event_id(self, site_id: str, name: str) -> str | DropReason:
        """Answers at once (the pipeline's bulk run finishes it without an event loop)."""
        event_id = self._event_ids.get((site_id, name))
        if event_id is None:
            try:
                event_id = self._repository.get_or_create(site_id, name, self._max_events).id
            except EventLimitError:
                return DropReason.TOO_MANY_EVENTS
            self._event_ids[site_id, name] = event_id
        return event_id
