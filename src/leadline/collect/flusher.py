"""Moves closed spool segments into the event store, one segment per idempotent batch, then trims them.

A store that fails (a ClickHouse shard down, a full disk on the database host) is retried with capped
exponential backoff while the spool goes on accepting hits: each failing segment stays in the spool, a
streak of failures is logged once when it starts and once when it ends, and no retry needs anyone's help.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from leadline.collect.spool import Spool, read_records
from leadline.metrics import flush_durations, flush_failures
from leadline.store.events import EventStore
from leadline.store.events.spooled_rows import SpooledBatch

logger = logging.getLogger("leadline.flusher")

FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0


class Flusher:
    def __init__(
        self,
        spool: Spool,
        event_store: EventStore,
        first_retry_seconds: float = FIRST_RETRY_SECONDS,
        max_retry_seconds: float = MAX_RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._spool = spool
        self._event_store = event_store
        self._first_retry = first_retry_seconds
        self._max_retry = max_retry_seconds
        self._clock = clock
        self._lock = threading.Lock()  # the scheduled flush and the shutdown flush must not overlap
        self.durations = flush_durations()  # registered by the app that serves this collector
        self.failures = flush_failures()  # likewise
        self.failed_attempts = 0  # of the current streak; 0 while the store takes hits
        self._streak_started = 0.0
        self._retry_at = 0.0

    @property
    def retry_delay(self) -> float:
        """Seconds between attempts in the current streak of failures: 0 while none fails."""
        if not self.failed_attempts:
            return 0.0
        return min(self._max_retry, self._first_retry * 2.0 ** (self.failed_attempts - 1))

    def flush_ready(self, force: bool = False) -> int:
        """Store every closed segment; how many hits were newly stored.

        During a streak of failures a call before the next retry is due does nothing (`force`: try anyway,
        as the shutdown does). A failing segment stays in the spool and ends this run.
        """
        stored = 0
        with self._lock:
            if not force and self._clock() < self._retry_at:
                return 0
            started = time.perf_counter()
            segments = self._spool.closed_segments()
            for segment in segments:
                batch = self._spool.kept(segment)
                if batch is None:  # not kept in memory: a previous run's segment, or one past the spool's limit
                    batch = SpooledBatch(list(read_records(segment)))
                try:
                    # The segment name is the batch id: a segment stored before a crash is not stored twice.
                    newly_stored = self._event_store.insert_spooled(segment.stem, batch)
                except Exception as error:  # whatever the store raises, the spool keeps the hits for the retry
                    self._failed(error)
                    return stored
                if newly_stored:
                    stored += len(batch)
                self._spool.remove(segment)
            if self.failed_attempts:
                self._recovered()
            if segments:  # runs that found nothing to do would bury the real flush times under zeros
                self.durations.observe(time.perf_counter() - started)
        return stored

    def _failed(self, error: Exception) -> None:
        self.failures.inc()
        now = self._clock()
        if not self.failed_attempts:
            self._streak_started = now
            # Once per streak: a store down for an hour must not write a line every few seconds.
            logger.error(
                "the event store refused spooled hits (%s: %s); retrying with backoff up to %g s, "
                "the spool keeps accepting hits meanwhile",
                type(error).__name__,
                error,
                self._max_retry,
            )
        self.failed_attempts += 1
        self._retry_at = now + self.retry_delay

    def _recovered(self) -> None:
        logger.warning(
            "the event store takes spooled hits again after %d failed attempts over %.1f s",
            self.failed_attempts,
            self._clock() - self._streak_started,
        )
        self.failed_attempts = 0
        self._retry_at = 0.0
