"""The metadata store as one object: an engine with its migrations applied and a repository per table."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from leadline.store.metadata.accounts import AccountRepository
from leadline.store.metadata.api_keys import ApiKeyRepository
from leadline.store.metadata.changes import SiteChanges
from leadline.store.metadata.database import make_engine, upgrade
from leadline.store.metadata.events import EventRepository
from leadline.store.metadata.integration_clients import IntegrationClientRepository
from leadline.store.metadata.milestones import MilestoneRepository
from leadline.store.metadata.publications import PublicationRepository
from leadline.store.metadata.salts import SaltRepository
from leadline.store.metadata.sealed import SealingKey
from leadline.store.metadata.signing_keys import SigningKeyRepository
from leadline.store.metadata.sites import SiteRepository


@dataclass(frozen=True)
class MetadataStore:
    engine: Engine
    # Announces writes that make in-process caches of a site stale; caches subscribe at start-up.
    changes: SiteChanges
    accounts: AccountRepository
    api_keys: ApiKeyRepository
    sites: SiteRepository
    events: EventRepository
    milestones: MilestoneRepository
    salts: SaltRepository
    integration_clients: IntegrationClientRepository
    signing_keys: SigningKeyRepository
    publications: PublicationRepository

    def ping(self) -> None:
        """One round trip to the database; raises SQLAlchemyError when it does not answer."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()


def open_metadata_store(url: str, migrate: bool = True, sealing_key: SealingKey | None = None) -> MetadataStore:
    """Connect to the metadata store at `url`, upgrading its schema first unless told not to.

    `sealing_key` seals the secrets stored at rest (private signing keys); without it they cannot be used.
    """
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    changes = SiteChanges()
    return MetadataStore(
        engine=engine,
        changes=changes,
        accounts=AccountRepository(engine),
        api_keys=ApiKeyRepository(engine),
        sites=SiteRepository(engine, changes),
        events=EventRepository(engine, changes),
        milestones=MilestoneRepository(engine),
        salts=SaltRepository(engine),
        integration_clients=IntegrationClientRepository(engine),
        signing_keys=SigningKeyRepository(engine, sealing_key),
        publications=PublicationRepository(engine),
    )
