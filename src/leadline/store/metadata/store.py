"""The metadata store as one object: an engine with its migrations applied and a repository per table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from leadline.store.metadata.accounts import AccountRepository
from leadline.store.metadata.api_keys import ApiKeyRepository
from leadline.store.metadata.database import make_engine, upgrade
from leadline.store.metadata.events import EventRepository
from leadline.store.metadata.milestones import MilestoneRepository
from leadline.store.metadata.sites import SiteRepository


@dataclass(frozen=True)
class MetadataStore:
    engine: Engine
    accounts: AccountRepository
    api_keys: ApiKeyRepository
    sites: SiteRepository
    events: EventRepository
    milestones: MilestoneRepository

    def close(self) -> None:
        self.engine.dispose()


def open_metadata_store(url: str, migrate: bool = True) -> MetadataStore:
    """Connect to the metadata store at `url`, upgrading its schema first unless told not to."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return MetadataStore(
        engine=engine,
        accounts=AccountRepository(engine),
        api_keys=ApiKeyRepository(engine),
        sites=SiteRepository(engine),
        events=EventRepository(engine),
        milestones=MilestoneRepository(engine),
    )
