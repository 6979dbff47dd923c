"""The collector as one object: pipeline, spool, flusher and their jobs, started and stopped with the app."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

from leadline.collect import steps
from leadline.collect.bots import is_bot
from leadline.collect.devices import describe_device
from leadline.collect.flusher import Flusher
from leadline.collect.pending_hit import PendingHit
from leadline.collect.pipeline import Pipeline
from leadline.collect.sessions import SESSION_IDLE_SECONDS
from leadline.collect.spool import Spool, encode_row
from leadline.jobs import Job, Scheduler
from leadline.services import Services

logger = logging.getLogger("leadline.collector")
WARM_UP_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36"


class Collector:
    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.spool = Spool(
            settings.data_dir.resolve() / "spool",
            max_age=settings.spool_segment_seconds,
            fsync_interval=settings.spool_fsync_interval_seconds,
            fsync_before_ack=settings.spool_fsync_before_ack,
        )
        self.flusher = Flusher(self.spool, services.event_store)
        self.pipeline = Pipeline(
            [
                ("check_site_and_hostname", steps.check_site_and_hostname(services.site_directory)),
                ("drop_bots", steps.drop_bots),
                ("put_device", steps.put_device),
                ("put_referrer", steps.put_referrer),
                ("put_campaign", steps.put_campaign),
                ("resolve_event", steps.resolve_event(services.event_directory)),
                ("put_geolocation", steps.put_geolocation(services.geolocator)),
                ("put_visitor_id", steps.put_visitor_id(services.salts)),
                ("assign_session", steps.assign_session(services.sessions)),
                ("write_to_spool", steps.write(self._append)),
            ]
        )
        self.scheduler = Scheduler(
            [
                Job("flush_spool", settings.flush_interval_seconds, self.flusher.flush_ready),
                Job("rotate_salts", 60, lambda: services.salts.rotate(datetime.now(UTC))),
                Job("prune_sessions", 60, lambda: services.sessions.prune(time.time())),
            ]
        )

    def _append(self, hit: PendingHit) -> Awaitable[None] | None:
        return self.spool.append(encode_row(hit.to_row()))

    async def start(self) -> None:
        """Replay what a previous run left in the spool, resume open sessions, then start accepting."""
        self.spool.recover()
        replayed = self.flusher.flush_ready()
        if replayed:
            logger.info("replayed %d spooled hits", replayed)
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=SESSION_IDLE_SECONDS)
        self.services.sessions.restore(self.services.event_store.recent_sessions(since))
        # Compile the crawler patterns and UA rules now, not on the first visitor's request.
        is_bot(WARM_UP_AGENT)
        describe_device(WARM_UP_AGENT)
        self.spool.start()
        self.scheduler.start()

    async def stop(self) -> None:
        """Graceful shutdown: everything acknowledged reaches the event store."""
        await self.scheduler.stop()
        await self.spool.close()
        self.flusher.flush_ready()
