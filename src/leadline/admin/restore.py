"""Restore a backup into an empty data directory, checking every file against the manifest's SHA-256 first."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from leadline.admin.backup import FORMAT, FORMAT_VERSION, MANIFEST_NAME, PRIVATE_FILE_MODE

PRIVATE_DIRECTORY_MODE = 0o700
_MAX_MANIFEST_BYTES = 10 * 1024 * 1024
_CHUNK = 1 << 20


class RestoreError(Exception):
    """A restore refused or failed; the message is for the operator. Nothing is left in the data directory."""


def restore_backup(archive_path: Path, data_dir: Path) -> dict[str, Any]:
    """Unpack the backup at `archive_path` into `data_dir` (missing or empty); return its manifest."""
    if data_dir.exists() and (not data_dir.is_dir() or any(data_dir.iterdir())):
        raise RestoreError(f"{data_dir} is not an empty directory: restore only into a new or empty data directory")
    if not archive_path.is_file():
        raise RestoreError(f"no backup file at {archive_path}")
    created = not data_dir.exists()
    data_dir.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(data_dir, PRIVATE_DIRECTORY_MODE)
    try:
        with tarfile.open(archive_path, mode="r:*") as archive:
            return unpack(archive, data_dir)
    except BaseException as error:
        # All or nothing: a half-restored directory would start as a deployment missing data.
        for entry in data_dir.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        if created:
            data_dir.rmdir()
        if isinstance(error, tarfile.TarError | OSError | ValueError | UnicodeDecodeError):
            raise RestoreError(f"{archive_path} is not a readable Leadline backup: {error}") from error
        raise


def unpack(archive: tarfile.TarFile, data_dir: Path) -> dict[str, Any]:
    manifest: dict[str, Any] | None = None
    expected: dict[str, dict[str, Any]] = {}
    restored: set[str] = set()
    for entry in archive:
        if not entry.isfile():
            raise RestoreError(f"the backup holds {entry.name!r}, which is not a regular file")
        if manifest is None:
            if entry.name != MANIFEST_NAME or entry.size > _MAX_MANIFEST_BYTES:
                raise RestoreError(f"the backup does not start with {MANIFEST_NAME}: not a Leadline backup")
            manifest = read_manifest(archive, entry)
            expected = {item["path"]: item for item in manifest["contents"]}
            continue
        item = expected.get(entry.name)
        if item is None or entry.name in restored:
            raise RestoreError(f"the backup holds {entry.name!r}, which its manifest does not list (once)")
        extract(archive, entry, data_dir / safe_relative_path(entry.name), item)
        restored.add(entry.name)
    if manifest is None:
        raise RestoreError("the backup is empty")
    missing = sorted(set(expected) - restored)
    if missing:
        raise RestoreError(f"the backup is incomplete: missing {', '.join(missing)}")
    return manifest


def read_manifest(archive: tarfile.TarFile, entry: tarfile.TarInfo) -> dict[str, Any]:
    content = archive.extractfile(entry)
    if content is None:
        raise RestoreError("the manifest cannot be read")
    manifest = json.loads(content.read())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise RestoreError("the manifest is not a Leadline backup's")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise RestoreError(
            f"backup format version {manifest.get('format_version')!r} is not {FORMAT_VERSION}: "
            "restore it with the Leadline version that made it"
        )
    contents = manifest.get("contents")
    if not isinstance(contents, list) or not all(
        isinstance(item, dict) and {"path", "bytes", "sha256"} <= item.keys() for item in contents
    ):
        raise RestoreError("the manifest's contents are malformed")
    return manifest


def safe_relative_path(name: str) -> Path:
    """`name` as a path inside the data directory; anything that could land outside it is refused."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        raise RestoreError(f"the backup holds a file with an unsafe name: {name!r}")
    return Path(*path.parts)


def extract(archive: tarfile.TarFile, entry: tarfile.TarInfo, target: Path, item: dict[str, Any]) -> None:
    content = archive.extractfile(entry)
    if content is None:
        raise RestoreError(f"{entry.name} cannot be read from the backup")
    target.parent.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "wb") as written:
        while chunk := content.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            written.write(chunk)
        written.flush()
        os.fsync(written.fileno())
    if size != item["bytes"] or digest.hexdigest() != item["sha256"]:
        raise RestoreError(f"{entry.name} in the backup does not match its manifest's SHA-256: the file is damaged")
    with contextlib.suppress(OSError):
        os.chmod(target, PRIVATE_FILE_MODE)  # os.open's mode passes through the umask; make sure
