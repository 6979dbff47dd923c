"""The traffic generator: a seeded, reproducible stream of synthetic hits in time order."""

from __future__ import annotations

import random
from bisect import bisect_left
from collections.abc import Iterator
from operator import attrgetter

from leadline.traffic.config import TrafficConfig
from leadline.traffic.request import SyntheticRequest
from leadline.traffic.rhythm import daily_hits, local_days
from leadline.traffic.visitors import VisitorPool
from leadline.traffic.visits import VisitPlanner

_timestamp = attrgetter("timestamp")


def generate_visits(config: TrafficConfig) -> Iterator[SyntheticRequest]:
    """Every hit of `config`'s traffic, ordered by timestamp; the same config always gives the same hits.

    Each local day gets its number of hits (see rhythm.py) and is filled with visits starting in it; the last
    visit of a day is cut short if it would overshoot. Hits at or after `config.end` are never generated.
    """
    rng = random.Random(config.seed)  # noqa: S311 - synthetic data: reproducible, not secret
    start, end = config.start_time, config.end_time
    days = local_days(start, end, config.zone)
    budgets = daily_hits(days, rng, start, end, config.hits_per_day, config.total_hits)
    planner = VisitPlanner(config.site_id, config.hostnames, config.pages)
    visitors = VisitorPool(config.returning_share, config.addresses)
    waiting: list[SyntheticRequest] = []  # generated, not yet yielded: visits run past the end of their day
    for day, budget in zip(days, budgets, strict=True):
        made = 0
        while made < budget:
            visit_start = day.visit_start(rng)
            if config.bot_share and rng.random() < config.bot_share:
                hits = planner.bot_visit(rng, visit_start)
            else:
                hits = planner.visit(rng, visit_start, visitors.next(rng))
            if hits[-1].timestamp >= end:
                hits = [hit for hit in hits if hit.timestamp < end]
            if len(hits) > budget - made:
                del hits[budget - made :]
            waiting.extend(hits)
            made += len(hits)
        visitors.end_day(rng)
        waiting.sort(key=_timestamp)  # stable: equal timestamps keep their (deterministic) order
        # Later days' visits start at or after this day's end, so everything before it is final.
        ready = bisect_left(waiting, day.end, key=_timestamp)
        yield from waiting[:ready]
        del waiting[:ready]
    yield from waiting
