"""What the admin commands need from a deployment: its stores and publisher, where its files are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from leadline.config import Settings
from leadline.publishing.publisher import Publisher
from leadline.store.events import EventStore
from leadline.store.metadata.store import MetadataStore

SOCKET_NAME = "admin.sock"


@runtime_checkable
class EventStoreCopier(Protocol):
    """An event store that can copy itself to a file while it serves (the embedded DuckDB store)."""

    def copy_to(self, target: Path) -> None: ...


@dataclass(frozen=True)
class SecretKeySource:
    """Where the deployment's secret key comes from, and what a restore must provide when it is not in the backup."""

    kind: str  # "data_dir" (a key file in the data directory, backed up), "environment" or "file" (not backed up)
    note: str
    file_name: str | None = None  # with "data_dir": the key file's name in the data directory


@dataclass(frozen=True)
class AdminContext:
    data_dir: Path
    metadata_database: Path | None  # the SQLite file; None when the metadata lives in a server database
    event_store: EventStoreCopier | None  # None when the events live in a server database
    spool_directory: Path
    key_files: tuple[Path, ...]  # secrets kept in the data directory (restored under the same names)
    secret_key: SecretKeySource
    # What publish, export and import work on: the stores this server holds open, so commands need not open them.
    metadata: MetadataStore
    events: EventStore
    publisher: Publisher

    @property
    def socket_path(self) -> Path:
        return self.data_dir / SOCKET_NAME

    @property
    def embedded(self) -> bool:
        """Both stores are files in this machine's data directory: what `leadline backup` copies."""
        return self.metadata_database is not None and self.event_store is not None

    @property
    def holds_event_file(self) -> bool:
        """The event store is a file only this process may open (DuckDB): other commands must ask this server."""
        return self.event_store is not None


def secret_key_source(settings: Settings, key_file: Path) -> SecretKeySource:
    """Whether a backup can hold the secret key (a file in the data directory), or a restore must bring it."""
    if settings.secret_key is not None:
        return SecretKeySource(
            "environment",
            "the secret key is set by LEADLINE_SECRET_KEY, not kept in the data directory: "
            "start the restored deployment with the same key, or its signing keys cannot be read",
        )
    if key_file.resolve().parent != settings.data_dir.resolve():
        return SecretKeySource(
            "file",
            f"the secret key is read from {key_file}, outside the data directory: give the restored "
            "deployment the same file (LEADLINE_SECRET_KEY_FILE), or its signing keys cannot be read",
        )
    return SecretKeySource(
        "data_dir",
        f"the secret key file {key_file.name} is in this backup: keep the backup as private as the key itself",
        key_file.name,
    )
