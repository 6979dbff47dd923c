"""The pipeline's steps, in order. Each is a small function of the pending hit; I/O lives behind caches."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC

from leadline.collect.bots import is_bot
from leadline.collect.campaigns import campaign_tags
from leadline.collect.devices import describe_device
from leadline.collect.directories import EventDirectory, SiteDirectory
from leadline.collect.geolocation import Geolocator
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Step, StepResult
from leadline.collect.referrers import describe_referrer, strip_www
from leadline.collect.sessions import SessionTracker
from leadline.privacy.salts import SaltStore
from leadline.privacy.visitor_hash import visitor_hash


def page_location(hit: PendingHit) -> None:
    """Hostname and pathname of the page; hash routes (`/#/about`) stay part of the path."""
    url = hit.payload.url
    hit.hostname = (url.hostname or "").lower()
    path = url.path or "/"
    if url.fragment.startswith(("/", "!")):
        path = f"{path}#{url.fragment}"
    hit.pathname = path[:1024]


def check_site_and_hostname(sites: SiteDirectory) -> Step:
    async def step(hit: PendingHit) -> StepResult:
        site = await sites.site(hit.payload.site_id)
        if site is None:
            return DropReason.UNKNOWN_SITE
        hit.site = site
        page_location(hit)
        if site.multi_domain:
            return None
        bound = site.primary_hostname
        if bound is None:
            bound = await sites.claim_hostname(site, strip_www(hit.hostname))
        if bound is not None and strip_www(hit.hostname) != bound:
            return DropReason.FOREIGN_HOSTNAME
        return None

    return step


def drop_bots(hit: PendingHit) -> StepResult:
    return DropReason.BOT if is_bot(hit.user_agent) else None


def put_device(hit: PendingHit) -> StepResult:
    device = describe_device(hit.user_agent)
    hit.browser, hit.operating_system, hit.device_type = device.browser, device.operating_system, device.device_type
    return None


def put_referrer(hit: PendingHit) -> StepResult:
    referrer = describe_referrer(hit.payload.referrer, hit.hostname)
    hit.referrer_hostname, hit.referrer_pathname, hit.keyword = referrer.hostname, referrer.pathname, referrer.keyword
    return None


def put_campaign(hit: PendingHit) -> StepResult:
    for name, value in campaign_tags(hit.payload.url.query).items():
        setattr(hit, name, value)
    return None


def resolve_event(events: EventDirectory) -> Step:
    async def step(hit: PendingHit) -> StepResult:
        if hit.payload.event_name:
            hit.event_id = await events.event_id(hit.payload.site_id, hit.payload.event_name)
        return None

    return step


def put_geolocation(geolocator: Geolocator) -> Step:
    def step(hit: PendingHit) -> StepResult:
        place = geolocator.locate(hit.ip)
        hit.country_code, hit.city = place.country_code, place.city
        return None

    return step


def put_visitor_id(salts: SaltStore) -> Step:
    def step(hit: PendingHit) -> StepResult:
        today, yesterday = salts.salts_for(hit.received_at)
        hit.visitor_id = visitor_hash(today, hit.payload.site_id, hit.ip, hit.user_agent)
        if yesterday is not None:
            hit.previous_visitor_id = visitor_hash(yesterday, hit.payload.site_id, hit.ip, hit.user_agent)
        return None

    return step


def assign_session(sessions: SessionTracker) -> Step:
    def step(hit: PendingHit) -> StepResult:
        now = hit.received_at.replace(tzinfo=UTC).timestamp()
        hit.visitor_id, hit.session_id = sessions.assign(
            hit.payload.site_id, hit.visitor_id, hit.previous_visitor_id, now
        )
        return None

    return step


def write(append: Callable[[PendingHit], Awaitable[None]]) -> Step:
    async def step(hit: PendingHit) -> StepResult:
        await append(hit)
        return None

    return step
