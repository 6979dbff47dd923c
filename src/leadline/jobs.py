"""Background jobs, declared in one place: what runs, how often, and whether it blocks (then in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

logger = logging.getLogger("leadline.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]
    first_after_seconds: float | None = None  # default: one period after start


class Scheduler:
    """Runs each job on its own period; one run of a job never overlaps the next."""

    def __init__(self, jobs: list[Job]) -> None:
        self.jobs = jobs
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
            try:
                await run_in_threadpool(job.run)
            except Exception:
                logger.exception("job %s failed", job.name)
