"""The collector as one object: the step list, the spool it writes to and the flusher that empties it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

from leadline.collect import steps
from leadline.collect.batches import HitBatches
from leadline.collect.bots import is_bot
from leadline.collect.devices import describe_device
from leadline.collect.flusher import Flusher
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import Pipeline
from leadline.collect.sessions import SESSION_IDLE_SECONDS
from leadline.collect.spool import Spool
from leadline.collect.steps import StepParts, collection_steps
from leadline.store.events import EventStore

logger = logging.getLogger("leadline.collector")
WARM_UP_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"


class Collector:
    """Runs hits through the steps into the spool; its periodic work (flush, salts, sessions) is in jobs.py."""

    def __init__(self, parts: StepParts, event_store: EventStore, spool: Spool) -> None:
        self.spool = spool
        self.flusher = Flusher(spool, event_store)
        self.pipeline = Pipeline([*collection_steps(parts), ("write_to_spool", steps.write(self._append))])
        self.batches = HitBatches(self.pipeline)  # how the endpoint runs hits: together with those beside them
        self._sessions = parts.sessions
        self._event_store = event_store

    def _append(self, hit: PendingHit) -> Awaitable[None] | None:
        return self.spool.append_row(hit.to_row_tuple())

    async def start(self) -> None:
        """Replay what a previous run left in the spool, resume open sessions, then start accepting."""
        self.spool.recover()
        replayed = self.flusher.flush_ready()
        if replayed:
            logger.info("replayed %d spooled hits", replayed)
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=SESSION_IDLE_SECONDS)
        self._sessions.restore(self._event_store.recent_sessions(since))
        # Compile the crawler patterns and UA rules now, not on the first visitor's request.
        is_bot(WARM_UP_AGENT)
        describe_device(WARM_UP_AGENT)
        self.spool.start()

    async def stop(self) -> None:
        """Graceful shutdown: everything acknowledged reaches the event store."""
        await self.spool.close()
        self.flusher.flush_ready(force=True)  # even while backing off: a last try before the process ends
