"""Background jobs, declared in one table: what runs, how often; and the one scheduler that runs them.

Every job blocks (store I/O, hashing), so each run goes to a thread; one run of a job never overlaps the
next. The app's lifespan starts the scheduler after the collector and stops it before the collector.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from starlette.concurrency import run_in_threadpool

from leadline.collect.collector import Collector
from leadline.deployment import Deployment
from leadline.metrics import JobMetrics

logger = logging.getLogger("leadline.jobs")

SALT_ROTATION_SECONDS = 60.0
SESSION_PRUNING_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    first_after_seconds: float | None = None  # default: one period after start


def job_table(deployment: Deployment, collector: Collector) -> list[Job]:
    """Every periodic job of a serving deployment."""
    settings = deployment.settings
    grace = timedelta(seconds=settings.publication_grace_seconds)
    publishing = settings.publication_interval_seconds
    return [
        # Closed spool segments move to the event store.
        Job("flush_spool", settings.flush_interval_seconds, collector.flusher.flush_ready),
        # Today's salt exists; salts older than yesterday's are destroyed.
        Job("rotate_salts", SALT_ROTATION_SECONDS, lambda: deployment.salts.rotate(datetime.now(UTC))),
        # Sessions idle for 30 minutes are forgotten.
        Job("prune_sessions", SESSION_PRUNING_SECONDS, lambda: deployment.sessions.prune(time.time())),
        # Closed days (after the grace period) of every subscribed dataset are published; first run soon after start.
        Job(
            "publish_closed_days",
            publishing,
            lambda: deployment.publisher.publish_due(grace, settings.publication_lookback_days),
            first_after_seconds=min(publishing, 2.0),
        ),
    ]


class Scheduler:
    """Runs each job on its own period; one run of a job never overlaps the next."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
        self.metrics = JobMetrics()  # runs by job and outcome; the app registers it for /metrics
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(job), name=f"job-{job.name}") for job in self.jobs]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self, job: Job) -> None:
        delay = job.every_seconds if job.first_after_seconds is None else job.first_after_seconds
        while True:
            await asyncio.sleep(delay)
            delay = job.every_seconds
            started = time.perf_counter()
            outcome = "ok"
            try:
                await run_in_threadpool(job.run)
            except Exception:
                outcome = "failed"
                logger.exception("job %s failed", job.name)
            self.metrics.runs.labels(job.name, outcome).inc()
            self.metrics.durations.labels(job.name).observe(time.perf_counter() - started)
