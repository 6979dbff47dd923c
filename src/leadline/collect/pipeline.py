"""The ingest pipeline: named steps run in order, each able to drop the hit with a typed reason.

Drops are counted by reason, never logged with personal data. Steps are timed under their own names on
one hit in TIMING_SAMPLE (timing every hit would cost more than several of the steps themselves). A step
returns None (go on), a DropReason, or an awaitable of those when it has to wait for I/O; steps that
usually need no I/O return plain values on their fast path.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from leadline.collect.pending_hit import PendingHit


class DropReason(Enum):
    UNKNOWN_SITE = "unknown_site"
    FOREIGN_HOSTNAME = "foreign_hostname"
    BOT = "bot"
    TOO_MANY_EVENTS = "too_many_events"  # a new event name on a site at max_events_per_site
    NEW_EVENT_RATE_LIMITED = "new_event_rate_limited"  # a new event name beyond new_event_rate_limit
    # Refused with 503 and Retry-After, nothing stored: the spool cannot keep the hit.
    SPOOL_FULL = "spool_full"  # the spool holds spool_max_bytes not yet stored (the event store is down?)
    DISK_FULL = "disk_full"  # the spool's disk has less than spool_min_free_bytes free
    SPOOL_UNAVAILABLE = "spool_unavailable"  # the write failed, or the spool is closed (shutting down)


StepResult = DropReason | None
Step = Callable[[PendingHit], StepResult | Awaitable[StepResult]]
TIMING_SAMPLE = 64


@dataclass
class PipelineStats:
    accepted: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    # Summed over the sampled hits only (one in TIMING_SAMPLE): compare steps with each other, not with wall time.
    seconds_per_step: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def as_json(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "dropped": dict(self.dropped),
            "seconds_per_step": {name: round(seconds, 6) for name, seconds in self.seconds_per_step.items()},
        }


class Pipeline:
    def __init__(self, steps: Sequence[tuple[str, Step]]) -> None:
        self.steps = tuple(steps)
        self._functions = tuple(step for _, step in self.steps)  # the untimed loops skip unpacking names
        self.stats = PipelineStats()
        self._seen = 0

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    async def run(self, hit: PendingHit) -> DropReason | None:
        """Run every step until one drops the hit; None when the hit made it through (and was written)."""
        self._seen += 1
        if self._seen % TIMING_SAMPLE == 0:
            return await self._run_timed(hit)
        for step in self._functions:
            result = step(hit)
            if result is not None:
                if not isinstance(result, DropReason):
                    result = await result
                if result is not None:
                    return self._drop(result)
        self.stats.accepted += 1
        return None

    async def _run_timed(self, hit: PendingHit) -> DropReason | None:
        timings = self.stats.seconds_per_step
        for name, step in self.steps:
            started = time.perf_counter()
            result = step(hit)
            if result is not None and not isinstance(result, DropReason):
                result = await result
            timings[name] += time.perf_counter() - started
            if result is not None:
                return self._drop(result)
        self.stats.accepted += 1
        return None

    def run_now(self, hit: PendingHit) -> DropReason | None:
        """`run` for bulk loads, without an event loop: every step must finish without waiting.

        Bulk loads give the steps lookups whose coroutines complete at once (they do their I/O
        synchronously), so the same step list serves both paths; a step that really waits is a bug.
        """
        for step in self._functions:
            result = step(hit)
            if result is not None:
                if not isinstance(result, DropReason):
                    result = _finish_now(result)
                if result is not None:
                    return self._drop(result)
        self.stats.accepted += 1
        return None

    def count_drop(self, reason: DropReason) -> None:
        """Count a hit dropped outside the steps: refused while the spool is full, or its write failed."""
        self.stats.dropped[reason.value] += 1

    def _drop(self, reason: DropReason) -> DropReason:
        self.stats.dropped[reason.value] += 1
        return reason


def _finish_now(pending: Awaitable[StepResult]) -> StepResult:
    """The result of an awaitable that completes without suspending; RuntimeError if it would wait."""
    waiting = pending.__await__()
    try:
        waiting.send(None)
    except StopIteration as finished:
        result: StepResult = finished.value
        return result
    waiting.close()
    raise RuntimeError("a step waited for I/O in a bulk load: give it a lookup that answers at once")
