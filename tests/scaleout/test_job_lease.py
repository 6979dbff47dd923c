"""The job lease: exactly one of a deployment's workers holds it, and it passes on when the holder stops."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from leadline.jobs import Job, Scheduler
from leadline.store.shared.connection import open_redis
from leadline.store.shared.locks import RedisLease


@pytest.fixture
def clients(redis_url: str) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    with open_redis(redis_url) as first, open_redis(redis_url) as second:
        yield first, second


def test_exactly_one_of_two_workers_holds_the_lease(clients: tuple[redis.Redis, redis.Redis]) -> None:
    first, second = RedisLease(clients[0], "jobs", 30), RedisLease(clients[1], "jobs", 30)
    assert first.refresh() is True
    for _ in range(3):
        assert (second.refresh(), first.refresh()) == (False, True)
    assert (first.held, second.held) == (True, False)


def test_a_released_lease_passes_to_the_other_worker_at_its_next_refresh(
    clients: tuple[redis.Redis, redis.Redis],
) -> None:
    first, second = RedisLease(clients[0], "jobs", 30), RedisLease(clients[1], "jobs", 30)
    first.refresh()
    first.release()
    assert second.refresh() is True
    assert first.refresh() is False


def test_the_lease_of_a_holder_that_died_passes_on_when_it_expires(clients: tuple[redis.Redis, redis.Redis]) -> None:
    dead, survivor = RedisLease(clients[0], "jobs", 0.3), RedisLease(clients[1], "jobs", 0.3)
    dead.refresh()  # and never again, nor released: as after kill -9
    assert survivor.refresh() is False
    time.sleep(0.4)
    assert survivor.refresh() is True


def test_a_holder_that_stalled_past_expiry_neither_renews_nor_frees_the_new_holders_lease(
    clients: tuple[redis.Redis, redis.Redis],
) -> None:
    stalled, taker = RedisLease(clients[0], "jobs", 0.2), RedisLease(clients[1], "jobs", 30)
    stalled.refresh()
    time.sleep(0.3)
    assert taker.refresh() is True
    assert stalled.refresh() is False
    stalled.release()
    assert taker.refresh() is True
    assert clients[0].pttl(taker.key) > 20_000


def test_deployment_wide_jobs_run_only_in_the_worker_holding_the_lease(
    clients: tuple[redis.Redis, redis.Redis],
) -> None:
    leases = RedisLease(clients[0], "jobs", 30), RedisLease(clients[1], "jobs", 30)
    runs = {0: 0, 1: 0}
    enough = threading.Event()

    def worker_jobs(worker: int) -> list[Job]:
        lease = leases[worker]

        def count() -> None:  # in the scheduler's thread pool
            runs[worker] += 1
            if runs[worker] >= 5:
                enough.set()

        return [
            Job("renew_job_lease", 0.05, lease.refresh, first_after_seconds=0),
            Job("publish_closed_days", 0.02, count, first_after_seconds=0.05, when=lambda: lease.held),
        ]

    async def run_both() -> None:
        schedulers = [Scheduler(worker_jobs(0)), Scheduler(worker_jobs(1))]
        for scheduler in schedulers:
            scheduler.start()
        await asyncio.sleep(0.5)
        # And until the holder has run the job five times (0.1 s on an idle machine; a loaded one's loop may lag).
        await asyncio.to_thread(enough.wait, 10)
        for scheduler in schedulers:
            await scheduler.stop()

    asyncio.run(run_both())
    assert sorted(runs.values())[0] == 0
    assert sorted(runs.values())[1] >= 5
