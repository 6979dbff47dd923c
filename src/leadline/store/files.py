"""Owner-only files at rest: the data directory 0700, store files 0600, and warnings about wider ones."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# The process mask of the server and the CLI: whatever a library creates (DuckDB's WAL, SQLite's journals,
# spool directories) is then owner-only too, without each creator having to ask for it.
OWNER_ONLY_UMASK = 0o077
_GROUP_OR_OTHERS = 0o077


def ensure_private_directory(path: Path) -> Path:
    """Create `path` (and missing parents) owner-only; an existing directory keeps its mode (see `wider_modes`)."""
    missing = [path, *path.parents]
    missing = [directory for directory in missing if not directory.exists()]
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    for created in missing:
        # mkdir's mode passes through the umask, and parents get the default mode: set it outright.
        os.chmod(created, PRIVATE_DIRECTORY_MODE)
    return path


def fsync_path(path: Path) -> None:
    """Flush a file, or a directory's entries (a rename in it), to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def duckdb_file(event_store_url: str) -> Path | None:
    """The file a `duckdb:///path` event store URL names; None for any other store."""
    scheme, _, location = event_store_url.partition("://")
    if scheme != "duckdb" or not location:
        return None
    return Path(location.removeprefix("/") if location.startswith("//") else location)


def create_private_file(path: Path) -> bool:
    """Create `path` empty and owner-only unless it exists; True when this call created it."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return False
    os.close(descriptor)
    return True


def write_private_file(path: Path, content: bytes) -> bool:
    """Write `content` to `path` as an owner-only file, atomically and only if `path` does not exist yet.

    The content is complete before the name appears (a hard link of a finished file), so another process
    racing to make the same file reads either nothing or all of it. True when this call made the file.
    """
    draft = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def store_files(metadata_url: str, event_store_url: str) -> list[Path]:
    """The files of the embedded stores these URLs name (with their WAL and shared-memory files); none for servers."""
    paths: list[Path] = []
    metadata = make_url(metadata_url)
    if metadata.get_backend_name() == "sqlite" and metadata.database and metadata.database != ":memory:":
        database = Path(metadata.database)
        paths += [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    events = duckdb_file(event_store_url)
    if events is not None:
        paths += [events, events.with_name(events.name + ".wal")]
    return paths


def wider_modes(paths: Iterable[Path]) -> list[str]:
    """A warning for each existing path (directories: with everything in them) that others may open."""
    warnings: list[str] = []
    seen: set[Path] = set()
    for path in paths:
        for found in _with_contents(path):
            if found in seen:
                continue
            seen.add(found)
            warning = _mode_warning(found)
            if warning is not None:
                warnings.append(warning)
    return warnings


def _with_contents(path: Path) -> Iterable[Path]:
    if not path.exists() or path.is_symlink():
        return
    yield path
    if path.is_dir():
        for entry in sorted(path.rglob("*")):
            if not entry.is_symlink():
                yield entry


def _mode_warning(path: Path) -> str | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:  # gone meanwhile (a spool segment that was just stored)
        return None
    if not mode & _GROUP_OR_OTHERS:
        return None
    kind, wanted = ("directory", PRIVATE_DIRECTORY_MODE) if path.is_dir() else ("file", PRIVATE_FILE_MODE)
    return f"{kind} {path} has mode {mode:04o}: others may read it; chmod {wanted:o} {path}"
