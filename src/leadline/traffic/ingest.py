"""The small-volume path: synthetic requests through a real collector's pipeline, spool and flusher."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leadline.collect.collector import Collector
from leadline.collect.payload import PayloadError, parse_payload
from leadline.collect.pending_hit import PendingHit
from leadline.traffic.request import SyntheticRequest
from leadline.traffic.rows import INVALID_PAYLOAD, MAX_USER_AGENT


@dataclass
class IngestResult:
    accepted: int
    dropped: dict[str, int]  # by reason, like the pipeline's stats (plus invalid_payload: a 400 at the endpoint)
    rows: list[list[object]] = field(repr=False)  # each accepted hit's stored row, in order


async def ingest_through_pipeline(collector: Collector, requests: Iterable[SyntheticRequest]) -> IngestResult:
    """Run each request through `collector` (a fresh one) as the endpoint would, then stop it, storing everything.

    No periodic job runs meanwhile (they belong to a serving app), so historical timestamps are taken as
    they are: salts and sessions follow each hit's own time.
    """
    await collector.start()
    rows: list[list[object]] = []
    invalid = 0
    try:
        for request in requests:
            try:
                payload = parse_payload(request.body())
            except PayloadError:
                invalid += 1
                continue
            hit = PendingHit(payload, request.timestamp, request.ip, request.user_agent[:MAX_USER_AGENT])
            if await collector.pipeline.run(hit) is None:
                rows.append(hit.to_row())
    finally:
        await collector.stop()
    dropped = dict(collector.pipeline.stats.dropped)
    if invalid:
        dropped[INVALID_PAYLOAD] = invalid
    return IngestResult(collector.pipeline.stats.accepted, dropped, rows)
