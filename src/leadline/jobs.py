"""Background jobs, declared in one table: what runs, how often; and the one scheduler that runs them.

Every job blocks (store I/O, hashing), so each run goes to a thread; one run of a job never overlaps the
next. The app's lifespan starts the scheduler after the collector and stops it before the collector.

With several workers (sharing a Redis) every worker runs this table, but the deployment-wide jobs run only
in the worker holding the job lease. Flushing stays with each worker: each flushes only its own spool
directory, so every segment is still stored by exactly one process; spools left by workers that no longer
run are flushed by the lease holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from leadline.collect.collector import Collector
from leadline.collect.flusher import Flusher
from leadline.collect.sessions import SessionTracker
from leadline.collect.spool import Spool, oldest_spooled
from leadline.deployment import Deployment
from leadline.metrics import JobMetrics
from leadline.store.events import EventStore
from leadline.store.events.base import compact_closed_days
from leadline.store.shared.spool_slots import unclaimed_slots
from leadline.store.shared.state import JOB_LEASE_SECONDS

logger = logging.getLogger("leadline.jobs")

SALT_ROTATION_SECONDS = 60.0
SESSION_PRUNING_SECONDS = 60.0
UNCLAIMED_SPOOLS_SECONDS = 30.0
# Closed UTC days are compacted hourly, once an hour has passed since midnight (late batches mostly arrived)
# and none of their hits waits in a spool (closed_before).
COMPACTION_SECONDS = 3600.0
COMPACTION_GRACE = timedelta(hours=1)
# How long before a spool segment's creation the hits in it may have been stamped, at most (see closed_before).
STAMPED_BEFORE_SPOOLED_SECONDS = 60.0


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    first_after_seconds: float | None = None  # default: one period after start
    when: Callable[[], bool] | None = None  # runs only while this answers True (default: always)


def job_table(deployment: Deployment, collector: Collector) -> list[Job]:
    """Every periodic job of a serving deployment."""
    settings = deployment.settings
    grace = timedelta(seconds=settings.publication_grace_seconds)
    publishing = settings.publication_interval_seconds
    shared = deployment.shared
    # Without a Redis this process is the whole deployment; with one, only the job lease's holder is.
    once_per_deployment = None if shared is None else (lambda: shared.job_lease.held)
    jobs = [
        # Closed spool segments (of this worker's own spool) move to the event store.
        Job("flush_spool", settings.flush_interval_seconds, collector.flusher.flush_ready),
        # Today's salt exists; salts older than yesterday's are destroyed.
        Job(
            "rotate_salts",
            SALT_ROTATION_SECONDS,
            lambda: deployment.salts.rotate(datetime.now(UTC)),
            when=once_per_deployment,
        ),
    ]
    if isinstance(deployment.sessions, SessionTracker):
        # Sessions idle for 30 minutes are forgotten (shared sessions expire in Redis by themselves).
        jobs.append(Job("prune_sessions", SESSION_PRUNING_SECONDS, lambda: deployment.sessions.prune(time.time())))
    # Closed days (after the grace period) of every subscribed dataset are published; first run soon after start.
    jobs.append(
        Job(
            "publish_closed_days",
            publishing,
            lambda: deployment.publisher.publish_due(grace, settings.publication_lookback_days),
            first_after_seconds=min(publishing, 2.0),
            when=once_per_deployment,
        )
    )
    # Closed days of the event store are rewritten in a layout that takes fewer bytes (DuckDB only; others skip).
    jobs.append(
        Job(
            "compact_closed_days",
            COMPACTION_SECONDS,
            lambda: compact_closed_days(
                deployment.event_store,
                closed_before(deployment.spool_directory, datetime.now(UTC)),
                datetime.now(UTC).date() - timedelta(days=settings.cold_after_days),
            ),
            first_after_seconds=60.0,
            when=once_per_deployment,
        )
    )
    if shared is not None:
        # Taken at start if free, renewed well before it lapses; a dead holder's lease passes on by itself.
        jobs.append(Job("renew_job_lease", JOB_LEASE_SECONDS / 3, shared.job_lease.refresh, first_after_seconds=0))
        # Spools no running worker writes (the worker count changed) are emptied.
        several_workers = settings.workers > 1
        jobs.append(
            Job(
                "flush_unclaimed_spools",
                UNCLAIMED_SPOOLS_SECONDS,
                lambda: flush_unclaimed_spools(deployment.spool_directory, deployment.event_store, several_workers),
                first_after_seconds=min(UNCLAIMED_SPOOLS_SECONDS, 5.0),
                when=once_per_deployment,
            )
        )
    return jobs


def closed_before(spool_root: Path, now: datetime) -> date:
    """The first UTC day that may still get hits: today (yesterday for the first hour after midnight, while
    late batches arrive), or the day of the oldest hit still waiting in any worker's spool, if earlier.

    Compaction renumbers the visitor ids of days before it (store/events/duckdb_visitor_numbers.py): a hit of such
    a day stored afterwards, still carrying the old id, would count its visitor twice.
    """
    first_open = (now - COMPACTION_GRACE).date()
    oldest = oldest_spooled(spool_root)
    if oldest is None:
        return first_open
    # A hit is stamped as its request arrives, a moment before it is appended (which may open the segment).
    return min(first_open, datetime.fromtimestamp(oldest - STAMPED_BEFORE_SPOOLED_SECONDS, UTC).date())


def flush_unclaimed_spools(root: Path, event_store: EventStore, including_root: bool) -> int:
    """Store what workers that no longer run left in the spool directories `root/<n>`, and in `root` itself
    when `including_root` (when every worker writes a `root/<n>`, as several do); how many hits.

    Each `root/<n>` is locked while it is emptied: a worker starting meanwhile claims another one.
    """
    stored = 0
    for slot in unclaimed_slots(root):
        stored += _flush_abandoned(slot.directory, event_store)
    if including_root and root.is_dir():
        stored += _flush_abandoned(root, event_store)
    if stored:
        logger.info("stored %d hits left in the spools of workers that no longer run", stored)
    return stored


def _flush_abandoned(directory: Path, event_store: EventStore) -> int:
    spool = Spool(directory)
    spool.recover()  # its writer is gone: a segment it left open holds only what it acknowledged
    return Flusher(spool, event_store).flush_ready()


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
            if job.when is not None and not job.when():
                continue
            started = time.perf_counter()
            outcome = "ok"
            try:
                await run_in_threadpool(job.run)
            except Exception:
                outcome = "failed"
                logger.exception("job %s failed", job.name)
            self.metrics.runs.labels(job.name, outcome).inc()
            self.metrics.durations.labels(job.name).observe(time.perf_counter() - started)
