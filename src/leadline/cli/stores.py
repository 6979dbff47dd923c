"""The settings a command runs with, and the metadata store it opens from them: always closed when the command ends.

The event store is cli/event_stores.py, so that commands which do not read hits do not import it (nor Arrow).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from leadline.cli.output import fail, fail_on
from leadline.config import Settings
from leadline.store.files import OWNER_ONLY_UMASK, ensure_private_directory, store_files, wider_modes
from leadline.store.metadata.sealed import WrongSecretKeyError
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.secret_key import SecretKeyError, sealing_key, secret_key_file

if TYPE_CHECKING:
    import redis

logger = logging.getLogger("leadline.files")


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `leadline.toml`, with the options given on the command line on top."""
    try:
        return Settings(**{name: value for name, value in overrides.items() if value is not None})
    except ValidationError as error:
        fail(f"invalid settings: {error}")


def private_data_dir(settings: Settings) -> None:
    """From now on this process makes owner-only files; the data directory exists, made owner-only if new."""
    os.umask(OWNER_ONLY_UMASK)
    ensure_private_directory(settings.data_dir.resolve())


def warn_about_wide_modes(settings: Settings) -> None:
    """Log a warning for each store file or directory that others may read (the operator decides to narrow it)."""
    paths = [settings.data_dir.resolve(), secret_key_file(settings)]
    for warning in wider_modes(paths + store_files(settings.metadata_url, settings.event_store_url)):
        logger.warning(warning)


@contextmanager
def metadata_store(settings: Settings | None = None) -> Iterator[MetadataStore]:
    """The metadata store (migrated to the current schema), disposed of on leaving, also after `fail`.

    A secret key that cannot be used, or does not open the stored signing keys, is a one-line error.
    """
    settings = settings or load_settings()
    private_data_dir(settings)
    with fail_on(SecretKeyError):
        key = sealing_key(settings)
    store = open_metadata_store(settings.metadata_url, sealing_key=key)
    shared = publish_site_changes(store, settings.redis_url) if settings.redis_url else None
    try:
        with fail_on(SecretKeyError, WrongSecretKeyError):
            store.signing_keys.seal_plain_keys()  # like the migrations: once, on opening (nothing to do but once)
            yield store
    finally:
        store.close()
        if shared is not None:
            shared.close()


def publish_site_changes(store: MetadataStore, redis_url: str) -> redis.Redis:
    """Send the store's site changes to a running server's workers through their Redis, so that their caches
    forget what a command changed at once (not only when their entries expire); the client, to close."""
    # Imported here: only a deployment with Redis needs the client (~0.1 s of every command's start otherwise).
    from leadline.store.shared.connection import open_redis
    from leadline.store.shared.redis_changes import SiteChangeRelay

    client = open_redis(redis_url)
    SiteChangeRelay(client, store.changes).publish_local_changes()
    return client
