"""Moving an embedded deployment (SQLite + DuckDB in a data directory) into the stores a configuration names.

Metadata rows are copied by id, inserting only what the target lacks; hits are copied per site and UTC day,
each day one batch with a stable id (`migrate:SITE:DAY`), and a day the target already holds in full is not
read again. So a second run copies nothing twice. The run ends by counting hits per site and day on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from leadline.config import Settings
from leadline.store.events import EventStore
from leadline.store.files import write_private_file
from leadline.store.metadata import tables
from leadline.store.metadata.sealed import SealingKey, WrongSecretKeyError, is_sealed
from leadline.store.secret_key import GENERATED_KEY_FILE, secret_key_file
from leadline.store.transfer.directory import TransferError
from leadline.store.transfer.history import hit_rows
from leadline.store.transfer.metadata_copy import TableCopy, copy_metadata

# The names the embedded stores have in a data directory (as `leadline serve` makes them).
SOURCE_METADATA_NAME = "leadline.sqlite3"
SOURCE_EVENTS_NAME = "events.duckdb"

# Called with (step, done, total) as a long step advances: a table's rows, or days of hits.
Progress = Callable[[str, int, int], None]


def source_metadata_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / SOURCE_METADATA_NAME}"


def source_events_url(data_dir: Path) -> str:
    return f"duckdb:///{data_dir / SOURCE_EVENTS_NAME}"


def adopt_secret_key(settings: Settings, source_dir: Path) -> Path | None:
    """Give the target the source's key file when the target has no secret key of its own yet; the file made.

    Signing keys are sealed under the secret key, so the target must have the same one to use them.
    """
    if settings.secret_key is not None or settings.secret_key_file is not None:
        return None
    target = secret_key_file(settings)
    source = source_dir / GENERATED_KEY_FILE
    if target.exists() or not source.is_file() or target.resolve() == source.resolve():
        return None
    write_private_file(target, source.read_bytes())
    return target


def check_secret_key(source: Engine, key: SealingKey) -> None:
    """TransferError unless `key` (the target's) opens the source's sealed signing keys."""
    with source.connect() as connection:
        stored = connection.execute(select(tables.signing_keys.c.id, tables.signing_keys.c.private_key)).all()
    for key_id, blob in stored:
        if not is_sealed(blob):
            continue  # stored in plain before sealing existed: the target seals it on first use
        try:
            key.unseal(blob, key_id.encode())
        except WrongSecretKeyError as error:
            raise TransferError(
                "the target's secret key is not the one the source's signing keys are sealed with: run the "
                "migration with the source deployment's secret key (LEADLINE_SECRET_KEY, LEADLINE_SECRET_KEY_FILE, "
                f"or no key at all so that {GENERATED_KEY_FILE} is copied from the source data directory)"
            ) from error
        return  # one key opened: they were all sealed under the same secret key


@dataclass(frozen=True)
class DayCount:
    day: date
    source: int
    target: int


@dataclass(frozen=True)
class SiteHits:
    site_id: str
    days: tuple[DayCount, ...]
    days_copied: int

    @property
    def source(self) -> int:
        return sum(day.source for day in self.days)

    @property
    def target(self) -> int:
        return sum(day.target for day in self.days)

    @property
    def differing_days(self) -> list[DayCount]:
        return [day for day in self.days if day.source != day.target]

    def as_json(self) -> dict[str, Any]:
        return {
            "site_id": self.site_id,
            "source_hits": self.source,
            "target_hits": self.target,
            "days_copied": self.days_copied,
            "matches": not self.differing_days,
            "days": [{"day": day.day.isoformat(), "source": day.source, "target": day.target} for day in self.days],
        }


@dataclass(frozen=True)
class MigrationReport:
    tables: tuple[TableCopy, ...]
    sites: tuple[SiteHits, ...]

    @property
    def matches(self) -> bool:
        """Every source row and hit is in the target (the target may hold more rows of its own)."""
        return all(copy.target >= copy.source for copy in self.tables) and not any(
            site.differing_days for site in self.sites
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "matches": self.matches,
            "tables": [copy.as_json() for copy in self.tables],
            "sites": [site.as_json() for site in self.sites],
        }


def migrate(
    source_metadata: Engine,
    source_events: EventStore,
    target_metadata: Engine,
    target_events: EventStore,
    target_key: SealingKey,
    on_progress: Progress,
    now: datetime | None = None,
) -> MigrationReport:
    """Copy everything from the source stores into the target ones, then count both sides."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    check_secret_key(source_metadata, target_key)
    # The salts of today and yesterday (UTC) still make visitor hashes; older ones are already meant to be gone.
    salts_since = now.date() - timedelta(days=1)
    copies = copy_metadata(source_metadata, target_metadata, now, salts_since, on_progress)
    with source_metadata.connect() as connection:
        site_ids = list(connection.execute(select(tables.sites.c.id).order_by(tables.sites.c.id)).scalars())
    sites = copy_hits(source_events, target_events, site_ids, on_progress)
    return MigrationReport(tuple(copies), tuple(sites))


def copy_hits(source: EventStore, target: EventStore, site_ids: Sequence[str], on_progress: Progress) -> list[SiteHits]:
    source_days = {site_id: source.daily_counts(site_id) for site_id in site_ids}
    total = sum(len(days) for days in source_days.values())
    done = 0
    results: list[SiteHits] = []
    for site_id, days in source_days.items():
        held = target.daily_counts(site_id)
        copied = 0
        for day, count in days.items():
            if held.get(day) != count:  # a day the target holds in full is not read again
                start = datetime.combine(day, datetime.min.time())
                rows = hit_rows(source.read_hits(site_id, start, start + timedelta(days=1)), site_id, {})
                if target.insert_batch(f"migrate:{site_id}:{day.isoformat()}", rows):
                    copied += 1
            done += 1
            on_progress("hits", done, total)
        after = target.daily_counts(site_id)
        counts = tuple(DayCount(day, days.get(day, 0), after.get(day, 0)) for day in sorted(days.keys() | after.keys()))
        results.append(SiteHits(site_id, counts, copied))
    on_progress("hits", done, total)
    return results
