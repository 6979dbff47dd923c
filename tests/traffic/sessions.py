"""Sessions as DESIGN.md defines them, computed straight from synthetic requests: a visitor's (address and
browser's) hits belong together until 30 minutes pass without one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from leadline.traffic import SyntheticRequest

IDLE_SECONDS = 30 * 60


def sessions_of(requests: Iterable[SyntheticRequest]) -> list[list[SyntheticRequest]]:
    by_visitor: defaultdict[tuple[str, str], list[SyntheticRequest]] = defaultdict(list)
    for request in sorted(requests):
        by_visitor[(request.ip, request.user_agent)].append(request)
    sessions: list[list[SyntheticRequest]] = []
    for hits in by_visitor.values():
        current = [hits[0]]
        for hit in hits[1:]:
            if hit.timestamp - current[-1].timestamp > IDLE_SECONDS:
                sessions.append(current)
                current = []
            current.append(hit)
        sessions.append(current)
    return sessions


def pageviews(session: list[SyntheticRequest]) -> int:
    return sum(1 for hit in session if hit.is_pageview)
