"""The one table of admin commands a running server answers on its socket."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from leadline.admin.backup import write_backup
from leadline.admin.context import AdminContext
from leadline.admin.publish import PublishRefusedError, publish_day
from leadline.store.transfer.directory import TransferError
from leadline.store.transfer.history import export_history, import_history

# A command gets the request and the descriptors sent with it (closed by the server afterwards).
Command = Callable[[dict[str, Any], Sequence[int]], dict[str, Any]]


class CommandError(Exception):
    """A request the command refuses; the message is for the operator."""


def admin_commands(context: AdminContext) -> Mapping[str, Command]:
    def ping(_request: dict[str, Any], _fds: Sequence[int]) -> dict[str, Any]:
        return {"leadline_version": importlib.metadata.version("leadline"), "pid": os.getpid()}

    def backup(_request: dict[str, Any], fds: Sequence[int]) -> dict[str, Any]:
        if len(fds) != 1:
            raise CommandError("backup needs one open file to write to, sent with the request")
        # The file stays the caller's: write through a duplicate, so closing it here leaves theirs open.
        with os.fdopen(os.dup(fds[0]), "wb") as out:
            manifest = write_backup(context, out, taken_by="server")
            out.flush()
            os.fsync(out.fileno())
        return {"manifest": manifest}

    def publish(request: dict[str, Any], _fds: Sequence[int]) -> dict[str, Any]:
        datasets = request.get("datasets")
        if datasets is not None and not (isinstance(datasets, list) and all(isinstance(d, str) for d in datasets)):
            raise CommandError("datasets must be a list of dataset names")
        try:
            return publish_day(
                context.publisher, context.metadata.sites, text(request, "site"), day(request, "date"), datasets
            )
        except PublishRefusedError as error:
            raise CommandError(str(error)) from error

    # Export and import get the operator's directory as an open descriptor: the server may not be allowed to
    # open it by name, and it then works with the caller's own access to it.
    def export(request: dict[str, Any], fds: Sequence[int]) -> dict[str, Any]:
        directory = one_directory(fds, "export")
        first, last = optional_day(request, "from"), optional_day(request, "to")
        try:
            manifest = export_history(context.metadata, context.events, text(request, "site"), directory, first, last)
        except TransferError as error:
            raise CommandError(str(error)) from error
        return {"manifest": manifest}

    def import_(request: dict[str, Any], fds: Sequence[int]) -> dict[str, Any]:
        directory = one_directory(fds, "import")
        try:
            summary = import_history(context.metadata, context.events, text(request, "site"), directory)
        except TransferError as error:
            raise CommandError(str(error)) from error
        return {"import": summary}

    return {"ping": ping, "backup": backup, "publish": publish, "export": export, "import": import_}


def one_directory(fds: Sequence[int], command: str) -> int:
    if len(fds) != 1:
        raise CommandError(f"{command} needs one open directory, sent with the request")
    return fds[0]


def text(request: dict[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise CommandError(f"{name} must be a non-empty string")
    return value


def day(request: dict[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(text(request, name))
    except ValueError as error:
        raise CommandError(f"{name} must be a day YYYY-MM-DD") from error


def optional_day(request: dict[str, Any], name: str) -> date | None:
    return None if request.get(name) is None else day(request, name)
