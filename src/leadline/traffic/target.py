"""What storing synthetic traffic needs from a deployment: its settings and stores (a Protocol, so any holder fits)."""

from __future__ import annotations

from typing import Protocol

from leadline.config import Settings
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore


class TrafficTarget(Protocol):
    """The deployment's parts a bulk load writes through; `leadline.deployment.Deployment` is one."""

    @property
    def settings(self) -> Settings: ...

    @property
    def metadata(self) -> MetadataStore: ...

    @property
    def event_store(self) -> EventStore: ...
