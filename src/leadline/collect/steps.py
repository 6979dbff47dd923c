"""The pipeline's steps, in order. Each is a small function of the pending hit; I/O lives behind caches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from leadline.collect.bots import BOT_ANSWERS
from leadline.collect.campaigns import campaign_tags
from leadline.collect.devices import DEVICES
from leadline.collect.geolocation import Place
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Step, StepResult
from leadline.collect.referrers import describe_referrer, strip_www
from leadline.collect.sessions import Assignment, Sessions
from leadline.privacy.visitor_hash import visitor_hash
from leadline.store.metadata.records import Site


class SiteLookup(Protocol):
    """Sites by id for the site and hostname check (live: collect.directories.SiteDirectory)."""

    def cached(self, site_id: str) -> tuple[bool, Site | None]:
        """(known, site) without waiting: known=False sends the step to `site`."""

    async def site(self, site_id: str) -> Site | None: ...

    async def claim_hostname(self, site: Site, hostname: str) -> str | None:
        """Bind an unbound single-domain site to `hostname`, atomically; the hostname it is bound to now."""


class EventLookup(Protocol):
    """Event ids by (site, name), created on first sight (live: collect.directories.EventDirectory)."""

    def cached(self, site_id: str, name: str) -> str | None: ...

    async def event_id(self, site_id: str, name: str) -> str | DropReason:
        """The event's id; a new name the site's event limits refuse is the reason to drop the hit instead."""


class Locator(Protocol):
    """Country, region and city of an address, which is never kept (live: collect.geolocation.Geolocator)."""

    def locate(self, ip: str) -> Place: ...


class SaltSource(Protocol):
    """Today's and yesterday's salt at an instant (live: privacy.salts.SaltStore)."""

    def salts_for(self, unix_time: float) -> tuple[bytes, bytes | None]: ...


def check_site_and_hostname(sites: SiteLookup) -> Step:
    """Drop hits for unknown sites, and hits for a bound single-domain site from another hostname.

    An unbound site accepts any hostname here: binding waits for `bind_hostname`, after every drop step.
    """

    def check(hit: PendingHit, site: Site | None) -> StepResult:
        if site is None:
            return DropReason.UNKNOWN_SITE
        hit.site = site
        if site.multi_domain or site.primary_hostname is None:
            return None
        return None if strip_www(hit.hostname) == site.primary_hostname else DropReason.FOREIGN_HOSTNAME

    async def load_then_check(hit: PendingHit) -> StepResult:
        return check(hit, await sites.site(hit.site_id))

    def step(hit: PendingHit) -> StepResult | Awaitable[StepResult]:
        known, site = sites.cached(hit.site_id)
        return check(hit, site) if known else load_then_check(hit)

    return step


def bind_hostname(sites: SiteLookup) -> Step:
    """Bind an unbound single-domain site to the hostname of its first accepted hit.

    It must come after every step that can drop a hit, so that a bot (or any hit dropped later) cannot
    claim a site for a hostname of its choosing. The claim is atomic: a hit that loses a race to another
    hostname is dropped as foreign, as it would have been a moment later.
    """

    async def claim(hit: PendingHit, site: Site) -> StepResult:
        hostname = strip_www(hit.hostname)
        bound = await sites.claim_hostname(site, hostname)
        return None if bound is None or bound == hostname else DropReason.FOREIGN_HOSTNAME

    def step(hit: PendingHit) -> StepResult | Awaitable[StepResult]:
        site = hit.site
        if site is None or site.multi_domain or site.primary_hostname is not None:
            return None
        return claim(hit, site)

    return step


def drop_bots(hit: PendingHit) -> StepResult:
    return DropReason.BOT if BOT_ANSWERS.get(hit.agent_key, hit.user_agent) else None


def put_device(hit: PendingHit) -> StepResult:
    device = DEVICES.get(hit.agent_key, hit.user_agent)
    hit.browser, hit.operating_system, hit.device_type = device.browser, device.operating_system, device.device_type
    return None


def put_referrer(hit: PendingHit) -> StepResult:
    referrer = describe_referrer(hit.payload.referrer, hit.hostname)
    hit.referrer_hostname, hit.referrer_pathname, hit.keyword = referrer.hostname, referrer.pathname, referrer.keyword
    return None


def put_campaign(hit: PendingHit) -> StepResult:
    if hit.payload.url.query:
        for name, value in campaign_tags(hit.payload.url.query).items():
            setattr(hit, name, value)
    return None


def resolve_event(events: EventLookup) -> Step:
    async def look_up(hit: PendingHit) -> StepResult:
        found = await events.event_id(hit.site_id, hit.payload.event_name)
        if isinstance(found, DropReason):
            return found
        hit.event_id = found
        return None

    def step(hit: PendingHit) -> StepResult | Awaitable[StepResult]:
        if not hit.payload.event_name:
            return None
        cached = events.cached(hit.site_id, hit.payload.event_name)
        if cached is None:
            return look_up(hit)
        hit.event_id = cached
        return None

    return step


def put_geolocation(geolocator: Locator) -> Step:
    def step(hit: PendingHit) -> StepResult:
        place = geolocator.locate(hit.ip)
        hit.country_code, hit.region, hit.city = place.country_code, place.region, place.city
        return None

    return step


def put_visitor_id(salts: SaltSource) -> Step:
    def step(hit: PendingHit) -> StepResult:
        today, yesterday = salts.salts_for(hit.received_at)
        hit.visitor_id = visitor_hash(today, hit.site_id, hit.ip, hit.user_agent)
        if yesterday is not None:
            hit.previous_visitor_id = visitor_hash(yesterday, hit.site_id, hit.ip, hit.user_agent)
        return None

    return step


def assign_session(sessions: Sessions) -> Step:
    """Put the hit in its visitor's session: at once in memory, after a (batched) round trip when shared."""

    def put(hit: PendingHit, assigned: Assignment) -> StepResult:
        hit.visitor_id, hit.session_id, hit.entry = assigned
        return None

    async def put_when_answered(hit: PendingHit, pending: Awaitable[Assignment]) -> StepResult:
        return put(hit, await pending)

    def step(hit: PendingHit) -> StepResult | Awaitable[StepResult]:
        assigned = sessions.assign(
            hit.site_id, hit.visitor_id, hit.previous_visitor_id, hit.received_at, not hit.payload.event_name
        )
        return put(hit, assigned) if isinstance(assigned, tuple) else put_when_answered(hit, assigned)

    return step


def write(append: Callable[[PendingHit], Awaitable[None] | None]) -> Step:
    async def wait(pending: Awaitable[None]) -> StepResult:
        await pending
        return None

    def step(hit: PendingHit) -> StepResult | Awaitable[StepResult]:
        pending = append(hit)
        return None if pending is None else wait(pending)

    return step


@dataclass(frozen=True)
class StepParts:
    """What the steps need: live caches for the collector, synchronous stand-ins for bulk loads."""

    sites: SiteLookup
    events: EventLookup
    geolocator: Locator
    salts: SaltSource
    sessions: Sessions


def collection_steps(parts: StepParts) -> list[tuple[str, Step]]:
    """Every step but the final write, in order: the one list the collector and bulk loads both run."""
    return [
        ("check_site_and_hostname", check_site_and_hostname(parts.sites)),
        ("drop_bots", drop_bots),
        ("put_device", put_device),
        ("put_referrer", put_referrer),
        ("put_campaign", put_campaign),
        ("resolve_event", resolve_event(parts.events)),
        # The last step that can drop a hit is above; the steps below only add to it and record sessions.
        ("bind_hostname", bind_hostname(parts.sites)),
        ("put_geolocation", put_geolocation(parts.geolocator)),
        ("put_visitor_id", put_visitor_id(parts.salts)),
        ("assign_session", assign_session(parts.sessions)),
    ]
