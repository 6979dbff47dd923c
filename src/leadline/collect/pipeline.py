"""The ingest pipeline: named steps run in order, each able to drop the hit with a typed reason.

Drops are counted by reason, never logged with personal data. A step returns None (go on), a DropReason,
or an awaitable of those when it has to wait for I/O; steps that usually need no I/O return plain values on
their fast path.

The collector runs the hits that arrived together as one batch, step by step (`start_batch`): each step
over every hit still going, then the next step. A hit whose step has to wait leaves the batch and goes on
alone once its answer comes; the others do not wait for it. Steps are timed under their own names over
whole batches, one pair of clock reads per step and batch, so every hit is counted and the clock costs
next to nothing; the waits of hits that went on alone are not in those figures (they are I/O, not work).
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
Outcome = StepResult | Awaitable[StepResult]  # a hit's outcome from a batch: now, or once it has waited


@dataclass
class PipelineStats:
    accepted: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    # Each step's time over the batches it ran (waits not included): where the collector's work goes.
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
        self._functions = tuple(step for _, step in self.steps)  # for the untimed loops, one hit at a time
        self.stats = PipelineStats()

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    async def run(self, hit: PendingHit) -> DropReason | None:
        """Run every step until one drops the hit; None when the hit made it through (and was written)."""
        (outcome,) = self.start_batch((hit,))
        return outcome if outcome is None or isinstance(outcome, DropReason) else await outcome

    def start_batch(self, hits: Sequence[PendingHit]) -> list[Outcome]:
        """Run the steps over `hits`, step by step; per hit, in order: None (through and written), the
        DropReason that dropped it, or an awaitable of one of those for a hit that had to wait for I/O.

        A step that raises fails only its own hit: its outcome is an awaitable that raises the error, so the
        hits before it in the batch (written to the spool, say) are answered as they fared.
        """
        outcomes: list[Outcome] = [None] * len(hits)  # None while a hit is still going
        going = list(enumerate(hits))
        timings = self.stats.seconds_per_step
        for index, (name, step) in enumerate(self.steps):
            started = time.perf_counter()
            left = False
            for position, hit in going:
                try:
                    result = step(hit)
                except Exception as error:  # handed to the hit's own request, which answers it
                    outcomes[position], left = _raise(error), True
                    continue
                if result is not None:
                    left = True
                    if isinstance(result, DropReason):
                        outcomes[position] = self._drop(result)
                    else:
                        outcomes[position] = self._go_on(hit, result, index + 1)
            timings[name] += time.perf_counter() - started
            if left:  # rebuilt only when a hit left: most steps drop nothing and wait for nothing
                going = [(position, hit) for position, hit in going if outcomes[position] is None]
        self.stats.accepted += len(going)
        return outcomes

    async def _go_on(self, hit: PendingHit, waiting: Awaitable[StepResult], next_step: int) -> DropReason | None:
        """The rest of a hit's steps once the step it waited on has answered."""
        result = await waiting
        for step in self._functions[next_step:]:
            if result is not None:
                break
            outcome = step(hit)
            result = outcome if outcome is None or isinstance(outcome, DropReason) else await outcome
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


async def _raise(error: Exception) -> StepResult:
    raise error


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
