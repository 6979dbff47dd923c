"""Publishing: freeze a closed day of a dataset, hash it, sign it; re-publish only when the rows changed.

A day is closed when midnight has passed in the site's timezone. The scheduler also waits a grace period for
late hits, then re-checks the last few closed days on every run: if late data changed a day's rows, a new
version is published on `main` (naming the one it supersedes); unchanged rows publish nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from leadline.canonical import ALGORITHM, canonical_rows, sign, signed_message
from leadline.publishing.dataset_rows import dataset_rows
from leadline.publishing.datasets import DATASETS, check_dataset_names
from leadline.publishing.publications import BRANCH, Publication, Publications
from leadline.store.events import EventStore
from leadline.store.ids import new_id
from leadline.store.metadata.records import Site
from leadline.store.metadata.store import MetadataStore

logger = logging.getLogger("leadline.publisher")


class DayNotClosedError(ValueError):
    """The day has not ended yet in the site's timezone: its numbers can still change."""


@dataclass(frozen=True, slots=True)
class PublishOutcome:
    publication: Publication
    created: bool  # False: the rows equal the latest publication's, which stands


def day_end(site: Site, day: date) -> datetime:
    """The UTC instant the day ends in the site's timezone (the next local midnight)."""
    local_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(site.timezone))
    return local_midnight.astimezone(UTC)


def local_day(site: Site, instant: datetime) -> date:
    return instant.astimezone(ZoneInfo(site.timezone)).date()


class Publisher:
    def __init__(
        self,
        metadata: MetadataStore,
        event_store: EventStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._metadata = metadata
        self._events = event_store
        self._publications = Publications(metadata.publications)
        self._keys = metadata.signing_keys
        self._clients = metadata.integration_clients
        self._clock = clock

    def publish(self, site: Site, day: date, datasets: Sequence[str] = tuple(DATASETS)) -> list[PublishOutcome]:
        """Publish `day` (site time) of each dataset; raises DayNotClosedError before the day has ended."""
        if self._clock() < day_end(site, day):
            raise DayNotClosedError(f"{day.isoformat()} has not ended yet in {site.timezone}")
        return [self._publish_one(site, day, name) for name in check_dataset_names(datasets)]

    def _publish_one(self, site: Site, day: date, dataset: str) -> PublishOutcome:
        columns = [column.name for column in DATASETS[dataset].columns]
        rows = dataset_rows(dataset, site, day, self._events, self._metadata)
        content = canonical_rows(columns, rows)
        digest = hashlib.sha256(content).hexdigest()
        for _attempt in range(3):
            latest = self._publications.latest(site.id, dataset, day)
            if latest is not None and latest.rows_sha256 == digest:
                return PublishOutcome(latest, created=False)
            publication = self._signed(site, day, dataset, len(rows), digest, latest)
            try:
                self._publications.add(publication, content)
            except IntegrityError:
                continue  # another publisher stored this version first: compare with theirs
            logger.info("published %s %s v%d (%d rows)", publication.dataset_id, day, publication.version, len(rows))
            return PublishOutcome(publication, created=True)
        raise RuntimeError(f"could not publish {dataset} for {day}: concurrent publishers kept winning")

    def _signed(
        self, site: Site, day: date, dataset: str, row_count: int, digest: str, latest: Publication | None
    ) -> Publication:
        account = self._metadata.accounts.get(site.account_id)
        key = self._keys.current(site.account_id)
        now = self._clock().astimezone(UTC).replace(microsecond=0)
        unsigned = Publication(
            id=new_id(),
            site_id=site.id,
            dataset=dataset,
            day=day,
            timezone=site.timezone,
            version=1 if latest is None else latest.version + 1,
            supersedes_id=None if latest is None else latest.id,
            branch_id=BRANCH,
            row_count=row_count,
            rows_sha256=digest,
            key_id=key.key.id,
            signature_id=new_id(),
            signature="",
            signer_email=account.email,
            timestamp_iso8601=now.astimezone(ZoneInfo(site.timezone)).isoformat(),
            published_at=now.replace(tzinfo=None),
        )
        signature = sign(key.private_key, signed_message(unsigned.signed_facts(ALGORITHM)))
        return replace(unsigned, signature=signature)

    def closed_days(self, site: Site, grace: timedelta, lookback_days: int) -> list[date]:
        """The last `lookback_days` days that ended at least `grace` ago, from the site's first day on."""
        now = self._clock()
        last = local_day(site, now)
        while day_end(site, last) + grace > now:
            last -= timedelta(days=1)
        earliest_hit = self._events.earliest_hit(site.id)
        first = local_day(site, site.created_at.replace(tzinfo=UTC))
        if earliest_hit is not None:
            first = min(first, local_day(site, datetime.fromtimestamp(earliest_hit, UTC)))
        first = max(first, last - timedelta(days=lookback_days - 1))
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

    def publish_due(self, grace: timedelta, lookback_days: int) -> list[PublishOutcome]:
        """One scheduler run: every subscribed dataset of every site, for each recent closed day."""
        outcomes: list[PublishOutcome] = []
        for site_id, datasets in self._clients.active_subscriptions(tuple(DATASETS)).items():
            site = self._metadata.sites.find(site_id)
            if site is None:
                continue
            try:
                for day in self.closed_days(site, grace, lookback_days):
                    outcomes.extend(self.publish(site, day, datasets))
            except Exception:
                logger.exception("publishing site %s failed; the next run tries again", site_id)
        return outcomes
