"""A backup: one tar file holding a manifest and consistent copies of the stores, the spool and the key files.

Taken in this order, so that every hit acknowledged before the backup began is in it exactly once:
1. the spool segments (closed and open), as they are on disk;
2. the event store, as one snapshot (the server goes on storing hits and answering reports meanwhile);
3. the metadata store, with SQLite's online backup API;
4. the key files of the data directory.
A segment flushed between steps 1 and 2 is in both copies, but the event store records the segments it
stored (their names are batch ids), so a restored server that replays it skips it. A segment cannot leave
the spool before it is in the event store, so no hit falls between the two copies. The spool is copied
rather than flushed first: its open segment could not be flushed without closing it under the collector.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from leadline.admin.context import AdminContext
from leadline.collect.spool import CLOSED_SUFFIX, OPEN_SUFFIX, intact_length
from leadline.store.snapshots import copy_sqlite_database

FORMAT = "leadline-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
METADATA_NAME = "leadline.sqlite3"  # the names the embedded stores have in a data directory
EVENTS_NAME = "events.duckdb"
SPOOL_NAME = "spool"
PRIVATE_FILE_MODE = 0o600
_CHUNK = 1 << 20


class BackupError(Exception):
    """A backup that cannot be taken; the message is for the operator."""


@dataclass(frozen=True)
class StagedFile:
    name: str  # its path inside the archive and, on restore, inside the data directory
    role: str  # metadata, events, spool or key
    path: Path


def write_backup(context: AdminContext, out: BinaryIO, taken_by: str) -> dict[str, Any]:
    """Write a backup of the deployment to `out` (a tar stream); its manifest is returned too."""
    if context.metadata_database is None or context.event_store is None:
        raise BackupError(
            "leadline backup copies the embedded stores (SQLite and DuckDB in the data directory); "
            "back up a PostgreSQL or ClickHouse store with its own tools"
        )
    # Staged inside the data directory: the one place a sandboxed service may write, on the same disk.
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=context.data_dir) as staging_text:
        staging = Path(staging_text)
        staged = list(stage(context, staging))
        manifest = build_manifest(context, staged, taken_by)
        write_archive(out, manifest, staged)
    return manifest


def stage(context: AdminContext, staging: Path) -> Iterator[StagedFile]:
    """Copy what a restore needs into `staging`, in the order the module's docstring explains."""
    if context.metadata_database is None or context.event_store is None:
        raise BackupError("no embedded stores to copy")
    spool = staging / SPOOL_NAME
    spool.mkdir()
    for segment in copy_spool(context.spool_directory, spool):
        yield StagedFile(f"{SPOOL_NAME}/{segment.name}", "spool", segment)
    context.event_store.copy_to(staging / EVENTS_NAME)
    yield StagedFile(EVENTS_NAME, "events", staging / EVENTS_NAME)
    copy_sqlite_database(context.metadata_database, staging / METADATA_NAME)
    yield StagedFile(METADATA_NAME, "metadata", staging / METADATA_NAME)
    for key_file in context.key_files:
        # Only keys kept in the data directory: a restore puts them back there; one kept elsewhere the
        # operator provides (the manifest's secret_key note says so).
        if key_file.resolve().parent == context.data_dir and key_file.is_file():
            copy = staging / key_file.name
            shutil.copyfile(key_file, copy)
            yield StagedFile(key_file.name, "key", copy)


def copy_spool(directory: Path, target: Path) -> list[Path]:
    """Copy every segment of the spool, open ones as they are now, each under its closed name."""
    copies: list[Path] = []
    if not directory.is_dir():
        return copies
    for segment in sorted(directory.iterdir()):
        if segment.suffix not in (OPEN_SUFFIX, CLOSED_SUFFIX):
            continue
        # A segment may be closed (renamed) or stored and deleted between listing and reading: gone from the
        # spool means it is in the event store, which is copied afterwards.
        for candidate in (segment, segment.with_suffix(CLOSED_SUFFIX)):
            try:
                data = candidate.read_bytes()
            except FileNotFoundError:
                continue
            # Its closed name: the stem is the batch id the event store remembers, whatever the suffix. An open
            # segment's file goes on past its records (space reserved for the next ones): cut there.
            copy = target / (segment.stem + CLOSED_SUFFIX)
            copy.write_bytes(data[: intact_length(data, segment.name)])
            copies.append(copy)
            break
    return copies


def build_manifest(context: AdminContext, staged: list[StagedFile], taken_by: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "leadline_version": importlib.metadata.version("leadline"),
        # A DuckDB file opens only with a DuckDB that reads its storage version: restore with the same one or newer.
        "duckdb_version": importlib.metadata.version("duckdb"),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "taken_by": taken_by,
        "contents": [
            {"path": file.name, "role": file.role, "bytes": file.path.stat().st_size, "sha256": sha256_of(file.path)}
            for file in staged
        ],
        "secret_key": secret_key_entry(context, staged),
    }


def secret_key_entry(context: AdminContext, staged: list[StagedFile]) -> dict[str, Any]:
    """Where the restored deployment's secret key comes from: this backup, or the operator (the note says how)."""
    source = context.secret_key
    included = source.file_name is not None and any(file.name == source.file_name for file in staged)
    note = source.note
    if source.kind == "data_dir" and not included:
        note = "no secret key file had been made yet: a restored deployment makes one when it first needs it"
    return {"source": source.kind, "included": included, "note": note}


def write_archive(out: BinaryIO, manifest: dict[str, Any], staged: list[StagedFile]) -> None:
    """The manifest first (a reader learns what follows before reading it), then each file, all owner-only."""
    # A stream ("w|"): nothing is read back or sought, so `out` may be any writable file, even a pipe.
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as archive:
        manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
        archive.addfile(member(MANIFEST_NAME, len(manifest_bytes)), io.BytesIO(manifest_bytes))
        for file in staged:
            with file.path.open("rb") as content:
                archive.addfile(member(file.name, file.path.stat().st_size), content)


def member(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(str(PurePosixPath(name)))
    info.size = size
    info.mode = PRIVATE_FILE_MODE
    info.mtime = int(datetime.now(UTC).timestamp())
    return info


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as content:
        while chunk := content.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
