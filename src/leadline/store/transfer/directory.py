"""Files of an export, read and written through an open directory descriptor.

A descriptor rather than a path: the admin socket hands the operator's directory to a running server that
may not be allowed to open it by name (a sandboxed service writes only its data directory), and the CLI
working alone uses the very same code.
"""

from __future__ import annotations

import os
import re

from leadline.store.files import PRIVATE_FILE_MODE

_CHUNK = 1 << 20
# Only plain names an export writes: a manifest that names "../x" or "/etc/x" is refused, not followed.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class TransferError(Exception):
    """An export or import that cannot proceed; the message is for the operator."""


def check_name(name: str) -> str:
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise TransferError(f"{name!r} is not a file name an export writes")
    return name


def directory_is_empty(directory: int) -> bool:
    return not [entry for entry in os.listdir(directory) if not entry.startswith(".")]


def write_new_file(directory: int, name: str, content: bytes) -> None:
    """Write `content` as a new owner-only file (never over an existing one), synced to disk."""
    descriptor = os.open(check_name(name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE, dir_fd=directory)
    with os.fdopen(descriptor, "wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())


def read_file(directory: int, name: str) -> bytes:
    """The whole file; TransferError when it is missing or unreadable."""
    try:
        descriptor = os.open(check_name(name), os.O_RDONLY, dir_fd=directory)
    except FileNotFoundError as error:
        raise TransferError(f"{name} is missing from the export") from error
    except OSError as error:
        raise TransferError(f"cannot read {name}: {error.strerror}") from error
    with os.fdopen(descriptor, "rb") as content:
        return content.read()
