"""Stored rows from synthetic requests by the collector's own step list, without HTTP, spool or flusher.

The steps are the pipeline's (`collect.steps.collection_steps`); only their lookups differ: sites and
event ids are asked of the metadata store synchronously, once each, and salts come from a seed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Literal

from leadline.collect.directories import BulkEventDirectory, BulkSiteDirectory
from leadline.collect.payload import Payload, PayloadError, parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import Pipeline
from leadline.collect.sessions import SessionTracker
from leadline.collect.steps import StepParts, collection_steps
from leadline.traffic.geolocation import BulkGeolocator
from leadline.traffic.request import RequestFields, SyntheticRequest
from leadline.traffic.salts import SeededSalts
from leadline.traffic.target import TrafficTarget

MAX_USER_AGENT = 1024  # as the collector endpoint truncates it
INVALID_PAYLOAD = "invalid_payload"  # what the endpoint would refuse with 400 (the pipeline never sees it)
_PAYLOAD_CACHE_SIZE = 200_000
# Ended sessions are forgotten every simulated PRUNE_EVERY seconds, as the collector does every minute; the
# margin keeps sessions that slightly out-of-order hits could still reach.
PRUNE_EVERY, PRUNE_MARGIN = 600.0, 3600.0


class RowMaker:
    def __init__(
        self,
        target: TrafficTarget,
        salt_seed: int | str = 0,
        *,
        bind_hostnames: bool = True,
        salts: SeededSalts | None = None,
        synthetic_places: bool = False,
    ) -> None:
        """`bind_hostnames=False` binds single-domain sites to their first hostname for this load only;
        `synthetic_places` locates visitors in made-up cities without a MaxMind file (see BulkGeolocator)."""
        self.salts = salts or SeededSalts(salt_seed)
        self.sessions = SessionTracker()
        self.geolocator = BulkGeolocator(target.settings.geoip_city_database, synthetic_places=synthetic_places)
        self.invalid = 0
        # A payload is shared by every hit with the same page, referrer and event (steps never change it);
        # False when the endpoint would refuse the body.
        self._payloads: dict[tuple[str, str, str, str, int], Payload | Literal[False]] = {}
        self._next_prune = 0.0
        parts = StepParts(
            sites=BulkSiteDirectory(target.metadata.sites, bind_hostnames),
            events=BulkEventDirectory(target.metadata.events),
            geolocator=self.geolocator,
            salts=self.salts,
            sessions=self.sessions,
        )
        self.pipeline = Pipeline(collection_steps(parts))

    @property
    def accepted(self) -> int:
        return self.pipeline.stats.accepted

    @property
    def dropped(self) -> Counter[str]:
        """Requests the collector would drop, by reason (plus invalid_payload: a 400 at the endpoint)."""
        dropped = Counter(self.pipeline.stats.dropped)
        if self.invalid:
            dropped[INVALID_PAYLOAD] = self.invalid
        return dropped

    @property
    def requests(self) -> int:
        return self.accepted + self.pipeline.stats.dropped.total() + self.invalid

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
        payload = self._payloads.get(key)
        if payload is None:
            payload = self._parse(key)
        if payload is False:
            self.invalid += 1
            return None
        hit = PendingHit(payload, timestamp, ip, user_agent[:MAX_USER_AGENT])
        if self.pipeline.run_now(hit) is not None:
            return None
        if hit.previous_visitor_id is not None and hit.visitor_id == hit.previous_visitor_id:
            self.salts.continued(timestamp)
        if timestamp >= self._next_prune:
            self.sessions.prune(timestamp - PRUNE_MARGIN)
            self._next_prune = timestamp + PRUNE_EVERY
        return hit.to_row()

    def close(self) -> None:
        self.geolocator.close()

    def _parse(self, key: tuple[str, str, str, str, int]) -> Payload | Literal[False]:
        site_id, url, referrer, event_name, value = key
        body = SyntheticRequest(0.0, site_id, "", "", url, referrer, event_name, value).body()
        try:
            payload: Payload | Literal[False] = parse_payload(body)  # the endpoint's checks, once per body
        except PayloadError:
            payload = False
        if len(self._payloads) >= _PAYLOAD_CACHE_SIZE:
            self._payloads.clear()
        self._payloads[key] = payload
        return payload
