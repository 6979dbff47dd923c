"""The operator's side of the admin socket: ask the running server, or learn that none listens."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from leadline.admin.protocol import AdminProtocolError, decode, encode, receive_line, socket_address


class NoServerError(Exception):
    """No server listens on the admin socket (none runs, or one stopped without removing its socket)."""


def ask(socket_path: Path, request: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any]:
    """Send one request (with `fds`, if any) and wait for its answer, however long the command takes."""
    if not socket_path.exists():
        raise NoServerError(f"no admin socket at {socket_path}")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        try:
            with socket_address(socket_path) as address:
                connection.connect(address)
        except (ConnectionRefusedError, FileNotFoundError) as error:
            raise NoServerError(f"no server answers on {socket_path}") from error
        socket.send_fds(connection, [encode(request)], list(fds))
        try:
            return decode(receive_line(connection))
        except AdminProtocolError as error:
            raise AdminProtocolError(f"the server's answer was cut short or malformed: {error}") from error
