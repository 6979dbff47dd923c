"""The event store a command opens, and both stores together: always closed when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from leadline.cli.output import fail
from leadline.cli.stores import metadata_store, private_data_dir
from leadline.config import Settings
from leadline.store.events import EventStore, EventStoreBusyError, open_event_store
from leadline.store.metadata.store import MetadataStore


@contextmanager
def event_store(settings: Settings) -> Iterator[EventStore]:
    """The event store, closed on leaving; a store held by a running server is a one-line error."""
    private_data_dir(settings)
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
