"""Operator commands beside a running server: ask it over the admin socket, or learn that none runs.

A server on the embedded store holds the DuckDB file, which no other process may open; such a server
listens on the admin socket in its data directory and does the work for the command.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leadline.admin.client import NoServerError, ask
from leadline.admin.context import SOCKET_NAME
from leadline.admin.protocol import AdminProtocolError
from leadline.cli.output import fail
from leadline.config import Settings


def admin_socket_path(settings: Settings) -> Path:
    return settings.data_dir.resolve() / SOCKET_NAME


def ask_running_server(settings: Settings, request: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any] | None:
    """The running server's answer to `request`; None when no server answers; its refusal ends the command."""
    socket_path = admin_socket_path(settings)
    try:
        answer = ask(socket_path, request, fds)
    except NoServerError:
        return None
    except (AdminProtocolError, OSError) as error:
        fail(f"the server's admin socket at {socket_path} failed: {error}")
    if not answer.get("ok"):
        fail(str(answer.get("error", f"the server refused {request.get('command')}")))
    return answer


def busy_message(settings: Settings) -> str:
    """What to say when the event store is held by a process that did not answer on the admin socket."""
    return (
        "another process holds the event store but does not answer on the admin socket "
        f"({admin_socket_path(settings)}): is it a Leadline server of an older version? "
        "Stop it, or upgrade it, and retry"
    )
