"""The ingest pipeline: named steps run in order, each able to drop the hit with a typed reason.

Every step is timed under its own name and drops are counted by reason, never logged with personal data.
"""

from __future__ import annotations

import inspect
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


StepResult = DropReason | None
Step = Callable[[PendingHit], StepResult | Awaitable[StepResult]]


@dataclass
class PipelineStats:
    accepted: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
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
        self.stats = PipelineStats()

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.steps)

    async def run(self, hit: PendingHit) -> DropReason | None:
        """Run every step until one drops the hit; None when the hit made it through (and was written)."""
        timings = self.stats.seconds_per_step
        for name, step in self.steps:
            started = time.perf_counter()
            result = step(hit)
            if inspect.isawaitable(result):
                result = await result
            timings[name] += time.perf_counter() - started
            if result is not None:
                self.stats.dropped[result.value] += 1
                return result
        self.stats.accepted += 1
        return None
