"""The settings a command runs with, and the stores it opens from them: always closed when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from leadline.cli.output import fail
from leadline.config import Settings
from leadline.store.events import EventStore, EventStoreBusyError, open_event_store
from leadline.store.metadata.store import MetadataStore, open_metadata_store


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `leadline.toml`, with the options given on the command line on top."""
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        fail(f"invalid settings: {error}")


@contextmanager
def metadata_store(settings: Settings | None = None) -> Iterator[MetadataStore]:
    """The metadata store (migrated to the current schema), disposed of on leaving, also after `fail`."""
    store = open_metadata_store((settings or load_settings()).metadata_url)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def event_store(settings: Settings) -> Iterator[EventStore]:
    """The event store, closed on leaving; a store held by a running server is a one-line error."""
    try:
        store = open_event_store(settings.event_store_url)
    except EventStoreBusyError as error:
        fail(str(error))
    try:
        yield store
    finally:
        store.close()


@dataclass(frozen=True)
class OpenStores:
    """The settings with both stores open: what a bulk load of traffic writes through (a `TrafficTarget`)."""

    settings: Settings
    metadata: MetadataStore
    event_store: EventStore


@contextmanager
def open_stores(settings: Settings) -> Iterator[OpenStores]:
    """Both stores, each closed on leaving."""
    with metadata_store(settings) as metadata, event_store(settings) as events:
        yield OpenStores(settings, metadata, events)
