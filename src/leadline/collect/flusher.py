"""Moves closed spool segments into the event store, one segment per idempotent batch, then trims them."""

from __future__ import annotations

import logging
import threading
import time

from leadline.collect.spool import Spool, decode_row, read_records
from leadline.metrics import flush_durations
from leadline.store.events import EventStore

logger = logging.getLogger("leadline.flusher")


class Flusher:
    def __init__(self, spool: Spool, event_store: EventStore) -> None:
        self._spool = spool
        self._event_store = event_store
        self._lock = threading.Lock()  # the scheduled flush and the shutdown flush must not overlap
        self.durations = flush_durations()  # registered by the app that serves this collector

    def flush_ready(self) -> int:
        """Store every closed segment; how many hits were newly stored."""
        stored = 0
        with self._lock:
            started = time.perf_counter()
            segments = self._spool.closed_segments()
            for segment in segments:
                rows = [decode_row(record) for record in read_records(segment)]
                # The segment name is the batch id: a segment stored before a crash is not stored twice.
                if self._event_store.insert_batch(segment.stem, rows):
                    stored += len(rows)
                segment.unlink()
            if segments:  # runs that found nothing to do would bury the real flush times under zeros
                self.durations.observe(time.perf_counter() - started)
        return stored
