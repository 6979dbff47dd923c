"""Cache invalidation between workers: each process's site changes published on a Redis channel.

Every process publishes the changes its own repositories announce and runs one thread that hands the
changes of the others to its local subscribers. A message names the site and the process it came from (a
random id, so each process skips its own). Pub/sub delivers nothing to a subscriber that is disconnected:
a notice lost while Redis is away only delays a change until the caches' own expiry (about a minute).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time

import redis
from redis.client import PubSub

from leadline.store.metadata.changes import SiteChanges

logger = logging.getLogger("leadline.shared")

CHANNEL = "leadline:site-changes"
RECONNECT_SECONDS = 1.0
POLL_SECONDS = 0.5  # how long the thread waits for a message before looking whether it should stop


class SiteChangeRelay:
    """Publishes this process's site changes and applies those of the other processes, until stopped."""

    def __init__(self, client: redis.Redis, changes: SiteChanges, channel: str = CHANNEL) -> None:
        self._client = client
        self._changes = changes
        self._channel = channel
        self._origin = secrets.token_hex(8)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pubsub: PubSub | None = None

    def start(self) -> None:
        """Subscribe (and wait until Redis confirms it, when it answers), then forward local changes."""
        try:
            self._pubsub = self._subscribe()
        except redis.RedisError as error:  # the thread keeps trying; meanwhile caches rely on their expiry
            logger.warning("site changes from other workers: not subscribed yet (%s)", error)
        self.publish_local_changes()
        self._thread = threading.Thread(target=self._receive, name="site-change-relay", daemon=True)
        self._thread.start()

    def publish_local_changes(self) -> None:
        """Publish this process's changes from now on; alone (without `start`), hear nothing of the others':
        what a one-shot command needs."""
        self._changes.forward_to(self._publish)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _publish(self, site_id: str) -> None:
        try:
            self._client.publish(self._channel, f"{self._origin} {site_id}")
        except redis.RedisError as error:  # the write is committed; other workers' caches expire on their own
            logger.warning("site change not published to other workers (%s)", error)

    def _subscribe(self) -> PubSub:
        pubsub: PubSub = self._client.pubsub()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
        pubsub.subscribe(self._channel)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=POLL_SECONDS)
            if message is not None and message["type"] == "subscribe":
                return pubsub
        pubsub.close()
        raise redis.TimeoutError("no confirmation of the subscription")

    def _receive(self) -> None:
        while not self._stopping.is_set():
            try:
                if self._pubsub is None:
                    self._pubsub = self._subscribe()
                message = self._pubsub.get_message(timeout=POLL_SECONDS)
            except redis.RedisError as error:
                logger.warning("site changes from other workers: connection lost (%s); retrying", error)
                self._close_pubsub()
                self._stopping.wait(RECONNECT_SECONDS)
                continue
            if message is not None and message["type"] == "message":
                self._apply(message["data"])
        self._close_pubsub()

    def _apply(self, data: bytes) -> None:
        origin, _, site_id = data.decode("utf-8", "replace").partition(" ")
        if origin == self._origin or not site_id:
            return
        try:
            self._changes.changed_elsewhere(site_id)
        except Exception:  # a failing cache must not stop the notices for all the others
            logger.exception("a cache failed to forget a site changed elsewhere")

    def _close_pubsub(self) -> None:
        if self._pubsub is not None:
            with contextlib.suppress(redis.RedisError):
                self._pubsub.close()
            self._pubsub = None
