"""Everything a worker shares with the others through one Redis: sessions, site changes, the job lease."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from leadline.store.metadata.changes import SiteChanges
from leadline.store.shared.connection import open_redis
from leadline.store.shared.locks import RedisLease
from leadline.store.shared.redis_changes import SiteChangeRelay
from leadline.store.shared.redis_sessions import RedisSessionTracker

# Deployment-wide jobs stop within this long of their holder's death; it renews every third of it.
JOB_LEASE_SECONDS = 30.0
JOB_LEASE_NAME = "jobs"


@dataclass(frozen=True)
class SharedState:
    client: redis.Redis
    sessions: RedisSessionTracker
    site_changes: SiteChangeRelay
    job_lease: RedisLease  # its holder runs the jobs that must run once per deployment

    def close(self) -> None:
        self.site_changes.stop()
        self.job_lease.release()
        self.sessions.close()  # its thread, after the batch under way
        self.client.close()


def open_shared_state(
    url: str, changes: SiteChanges, session_idle_seconds: float, session_max_seconds: float
) -> SharedState:
    """Connect to the Redis at `url`; this process's site changes reach the others' caches from now on."""
    client = open_redis(url)
    relay = SiteChangeRelay(client, changes)
    relay.start()
    return SharedState(
        client=client,
        sessions=RedisSessionTracker(client, session_idle_seconds, session_max_seconds),
        site_changes=relay,
        job_lease=RedisLease(client, JOB_LEASE_NAME, JOB_LEASE_SECONDS),
    )
