"""Stored rows from synthetic requests by the collector's own steps, without HTTP, spool or flusher.

The site and hostname check and the event lookup follow the pipeline's steps but ask the metadata store
synchronously, once per site, hostname or event name; every other step is the pipeline's own function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from leadline.collect import steps
from leadline.collect.payload import Payload, PayloadError, parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import DropReason, Step, StepResult
from leadline.collect.referrers import strip_www
from leadline.collect.sessions import SessionTracker
from leadline.services import Services
from leadline.store.metadata.records import Site
from leadline.traffic.geolocation import BulkGeolocator
from leadline.traffic.request import RequestFields, SyntheticRequest
from leadline.traffic.salts import SeededSalts

MAX_USER_AGENT = 1024  # as the collector endpoint truncates it
INVALID_PAYLOAD = "invalid_payload"  # what the endpoint would refuse with 400 (the pipeline never sees it)
_PAYLOAD_CACHE_SIZE = 200_000
# Ended sessions are forgotten every simulated PRUNE_EVERY seconds, as the collector does every minute; the
# margin keeps sessions that slightly out-of-order hits could still reach.
PRUNE_EVERY, PRUNE_MARGIN = 600.0, 3600.0

# A payload (shared by every hit with the same page, referrer and event: steps never change it) and the site
# and hostname check's verdict on it; or None and the reason a payload could not be made.
_Parsed = tuple[Payload | None, DropReason | str | None]


class RowMaker:
    def __init__(
        self,
        services: Services,
        salt_seed: int | str = 0,
        *,
        bind_hostnames: bool = True,
        salts: SeededSalts | None = None,
    ) -> None:
        """`bind_hostnames=False` binds single-domain sites to their first hostname for this load only."""
        self._metadata = services.metadata
        self._bind_hostnames = bind_hostnames
        self.salts = salts or SeededSalts(salt_seed)
        self.sessions = SessionTracker()
        self.geolocator = BulkGeolocator(services.settings.geoip_city_database)
        self.accepted = 0
        self.dropped: Counter[str] = Counter()
        self._sites: dict[str, Site | None] = {}
        self._bound: dict[str, str] = {}
        self._event_ids: dict[tuple[str, str], str] = {}
        self._parsed: dict[tuple[str, str, str, str, int], _Parsed] = {}
        self._next_prune = 0.0
        self._steps: tuple[Step, ...] = (
            steps.drop_bots,
            steps.put_device,
            steps.put_referrer,
            steps.put_campaign,
            self._put_event_id,
            steps.put_geolocation(self.geolocator),
            steps.put_visitor_id(self.salts),
            steps.assign_session(self.sessions),
        )

    @property
    def requests(self) -> int:
        return self.accepted + self.dropped.total()

    def rows(self, requests: Iterable[RequestFields]) -> Iterator[list[object]]:
        """The row of every request (a SyntheticRequest or its fields) the collector would store, in order."""
        for request in requests:
            row = self.row(request)
            if row is not None:
                yield row

    def row(self, request: RequestFields) -> list[object] | None:
        """The stored form of `request`, or None (counted in `dropped`) if the collector would drop it."""
        timestamp, site_id, ip, user_agent, url, referrer, event_name, value = request
        key = (site_id, url, referrer, event_name, value)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = self._parse(key)
        payload, reason = parsed
        if payload is not None and reason is None:
            hit = PendingHit(payload, timestamp, ip, user_agent[:MAX_USER_AGENT])
            for step in self._steps:
                result = step(hit)
                if result is not None:
                    if not isinstance(result, DropReason):
                        raise TypeError("a pure step returned an awaitable")
                    reason = result
                    break
            else:
                if hit.previous_visitor_id is not None and hit.visitor_id == hit.previous_visitor_id:
                    self.salts.continued(timestamp)
                if timestamp >= self._next_prune:
                    self.sessions.prune(timestamp - PRUNE_MARGIN)
                    self._next_prune = timestamp + PRUNE_EVERY
                self.accepted += 1
                return hit.to_row()
        self.dropped[reason.value if isinstance(reason, DropReason) else str(reason)] += 1
        return None

    def close(self) -> None:
        self.geolocator.close()

    def _parse(self, key: tuple[str, str, str, str, int]) -> _Parsed:
        site_id, url, referrer, event_name, value = key
        parsed: _Parsed
        body = SyntheticRequest(0.0, site_id, "", "", url, referrer, event_name, value).body()
        try:
            payload = parse_payload(body)  # the endpoint's own checks, once per distinct body
        except PayloadError:
            parsed = (None, INVALID_PAYLOAD)
        else:
            parsed = (payload, self._check_site_and_hostname(site_id, payload.hostname))
        if len(self._parsed) >= _PAYLOAD_CACHE_SIZE:
            self._parsed.clear()
        self._parsed[key] = parsed
        return parsed

    def _check_site_and_hostname(self, site_id: str, hostname: str) -> DropReason | None:
        """steps.check_site_and_hostname's rule: a single-domain site takes the first hostname it sees."""
        if site_id not in self._sites:
            self._sites[site_id] = self._metadata.sites.find(site_id)
        site = self._sites[site_id]
        if site is None:
            return DropReason.UNKNOWN_SITE
        if site.multi_domain:
            return None
        bound = self._bound.get(site_id) or site.primary_hostname
        if bound is None:
            bound = strip_www(hostname)
            if self._bind_hostnames:
                bound = self._metadata.sites.claim_primary_hostname(site_id, bound) or bound
        self._bound[site_id] = bound
        return None if strip_www(hostname) == bound else DropReason.FOREIGN_HOSTNAME

    def _put_event_id(self, hit: PendingHit) -> StepResult:
        name = hit.payload.event_name
        if name:
            key = (hit.payload.site_id, name)
            event_id = self._event_ids.get(key)
            if event_id is None:
                event_id = self._event_ids[key] = self._metadata.events.get_or_create(*key).id
            hit.event_id = event_id
        return None
