"""The one table of admin commands a running server answers on its socket."""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from leadline.admin.backup import write_backup
from leadline.admin.context import AdminContext

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

    return {"ping": ping, "backup": backup}
