"""A site's hits out as one Parquet file per UTC day with a manifest, and back in, each hit stored once.

The manifest (written last, so a directory with one is a whole export) names the schema version, the site,
the columns, the site's events (so completions keep their names in another deployment) and, per file, its
day, row count and SHA-256. An import checks all of it before storing anything, then stores each file as
one batch whose id is the target site and the file's SHA-256: importing the same export again stores nothing
(for as long as the event store remembers stored batch ids).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from leadline.store.events import EventStore
from leadline.store.events.base import HIT_ARROW_SCHEMA, HIT_COLUMNS
from leadline.store.metadata.store import MetadataStore
from leadline.store.transfer.directory import (
    TransferError,
    check_name,
    directory_is_empty,
    read_file,
    write_new_file,
)

FORMAT = "leadline-hits"
SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"

# Called after each file with (files done, files in all).
FileProgress = Callable[[int, int], None]


def _no_progress(_done: int, _total: int) -> None:
    return None


def file_name(day: date) -> str:
    return f"hits-{day.isoformat()}.parquet"


def export_history(
    metadata: MetadataStore,
    events: EventStore,
    site_id: str,
    directory: int,
    first: date | None = None,
    last: date | None = None,
    on_progress: FileProgress = _no_progress,
) -> dict[str, Any]:
    """Write the site's hits of the UTC days first..last (inclusive; open ends: all) into the empty `directory`."""
    if metadata.sites.find(site_id) is None:
        raise TransferError(f"no site {site_id!r}")
    if not directory_is_empty(directory):
        raise TransferError("the export directory is not empty: export into a new or empty directory")
    days = [
        day
        for day in sorted(events.daily_counts(site_id))
        if (first is None or day >= first) and (last is None or day <= last)
    ]
    files: list[dict[str, Any]] = []
    for done, day in enumerate(days, start=1):
        start = datetime.combine(day, datetime.min.time())
        table = events.read_hits(site_id, start, start + timedelta(days=1))
        content = parquet_bytes(table)
        name = file_name(day)
        write_new_file(directory, name, content)
        files.append(
            {
                "day": day.isoformat(),
                "path": name,
                "rows": table.num_rows,
                "bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest(),
            }
        )
        on_progress(done, len(days))
    manifest = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "leadline_version": importlib.metadata.version("leadline"),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "site_id": site_id,
        "from": first.isoformat() if first else None,
        "to": last.isoformat() if last else None,
        "columns": [{"name": field.name, "type": str(field.type)} for field in HIT_ARROW_SCHEMA],
        "events": [{"id": event.id, "name": event.name} for event in metadata.events.list_all(site_id)],
        "rows": sum(file["rows"] for file in files),
        "files": files,
    }
    write_new_file(directory, MANIFEST_NAME, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    return manifest


def parquet_bytes(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    return buffer.getvalue()


@dataclass(frozen=True)
class ExportFile:
    day: date
    path: str
    rows: int
    sha256: str


@dataclass(frozen=True)
class CheckedExport:
    """An export whose manifest and every file were found whole: what an import stores."""

    site_id: str  # the site it was exported from
    events: dict[str, str]  # event id → name, in the exporting site
    files: tuple[ExportFile, ...]

    @property
    def rows(self) -> int:
        return sum(file.rows for file in self.files)


def check_export(directory: int) -> CheckedExport:
    """The export in `directory`, each file checked against the manifest; TransferError naming what is wrong."""
    try:
        manifest = json.loads(read_file(directory, MANIFEST_NAME))
    except ValueError as error:
        raise TransferError(f"{MANIFEST_NAME} is not JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise TransferError(f"{MANIFEST_NAME} is not the manifest of a `leadline export`")
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise TransferError(
            f"the export has schema version {version!r}; this Leadline reads version {SCHEMA_VERSION} "
            "(import it with the version that wrote it, or a newer one)"
        )
    columns = [column.get("name") for column in manifest.get("columns", []) if isinstance(column, dict)]
    if columns != list(HIT_COLUMNS):
        raise TransferError("the export's columns are not the ones this schema version has")
    try:
        files = tuple(
            ExportFile(date.fromisoformat(entry["day"]), check_name(entry["path"]), int(entry["rows"]), entry["sha256"])
            for entry in manifest["files"]
        )
        events = {str(event["id"]): str(event["name"]) for event in manifest.get("events", [])}
        site_id = str(manifest["site_id"])
    except (KeyError, TypeError, ValueError) as error:
        raise TransferError(f"{MANIFEST_NAME} is incomplete or malformed: {error}") from error
    for file in files:
        read_checked(directory, file)
    return CheckedExport(site_id, events, files)


def read_checked(directory: int, file: ExportFile) -> pa.Table:
    """The file's hits, after its SHA-256 and row count were found to be the manifest's."""
    content = read_file(directory, file.path)
    if hashlib.sha256(content).hexdigest() != file.sha256:
        raise TransferError(f"{file.path} does not match its SHA-256 in the manifest: the export was altered or cut")
    try:
        table = pq.read_table(pa.BufferReader(content))
    except pa.ArrowException as error:
        raise TransferError(f"{file.path} is not a readable Parquet file: {error}") from error
    if table.num_rows != file.rows:
        raise TransferError(f"{file.path} holds {table.num_rows} rows; the manifest says {file.rows}")
    if table.schema.names != list(HIT_COLUMNS):
        raise TransferError(f"{file.path} does not have the columns of a Leadline export")
    try:
        return table.cast(HIT_ARROW_SCHEMA)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise TransferError(f"{file.path} has columns of the wrong types: {error}") from error


def import_history(
    metadata: MetadataStore,
    events: EventStore,
    site_id: str,
    directory: int,
    on_progress: FileProgress = _no_progress,
) -> dict[str, Any]:
    """Store the export in `directory` as hits of `site_id` (any site: the hits take its id); idempotent.

    Nothing is stored unless every file matches the manifest. Events are matched by name in the target
    site, and made there when missing, so completions keep their names.
    """
    if metadata.sites.find(site_id) is None:
        raise TransferError(f"no site {site_id!r}")
    export = check_export(directory)
    event_ids = {old: metadata.events.get_or_create(site_id, name).id for old, name in export.events.items()}
    stored = 0
    for done, file in enumerate(export.files, start=1):
        rows = hit_rows(read_checked(directory, file), site_id, event_ids)
        # The batch id names the target and the file's content: the same file into the same site, once.
        if events.insert_batch(f"import:{site_id}:{file.sha256}", rows):
            stored += 1
        on_progress(done, len(export.files))
    return {
        "site_id": site_id,
        "exported_site_id": export.site_id,
        "files": len(export.files),
        "rows": export.rows,
        "files_stored": stored,
        "files_already_stored": len(export.files) - stored,
    }


def hit_rows(table: pa.Table, site_id: str, event_ids: Mapping[str, str]) -> Sequence[tuple[object, ...]]:
    """Rows for `EventStore.insert_batch` (HIT_COLUMNS order, the timestamp in Unix microseconds)."""
    columns: list[list[Any]] = []
    for name in HIT_COLUMNS:
        column = table.column(name)
        if name == "site_id":
            columns.append([site_id] * table.num_rows)
        elif name == "timestamp":
            columns.append(pc.cast(column, pa.int64()).to_pylist())
        elif name == "event_id":
            columns.append([event_ids.get(value, value) for value in column.to_pylist()])
        else:
            columns.append(column.to_pylist())
    return list(zip(*columns, strict=True))
