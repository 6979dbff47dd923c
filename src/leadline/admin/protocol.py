"""The admin socket's protocol: one JSON line asks, one JSON line answers; some requests carry a descriptor.

Request:  {"command": "backup"}  sent with one open file descriptor (SCM_RIGHTS) that the server writes
          the backup into. The server then needs no write access to wherever the operator keeps backups
          (a sandboxed service can write only its data directory); the descriptor carries the caller's own.
          {"command": "export", "site": ID, "from": DAY|null, "to": DAY|null} and {"command": "import",
          "site": ID} likewise carry one open directory; {"command": "publish", "site": ID, "date": DAY,
          "datasets": [NAME, ...]|null} carries none.
Answer:   {"ok": true, ...} or {"ok": false, "error": "a sentence for the operator"}.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_LINE_BYTES = 1 << 20
MAX_FDS = 1
# sockaddr_un holds 108 bytes with its terminating zero; longer paths go through the directory's descriptor.
_MAX_SOCKET_PATH = 100


class AdminProtocolError(Exception):
    """The other side sent something that is not one JSON object on one line."""


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode("utf-8") + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as error:
        raise AdminProtocolError(f"not JSON: {error}") from error
    if not isinstance(message, dict):
        raise AdminProtocolError("not a JSON object")
    return message


def receive_line(connection: socket.socket, first: bytes = b"") -> bytes:
    """Read up to the first newline (the rest of a line whose start, `first`, was read already)."""
    received = bytearray(first)
    while b"\n" not in received:
        if len(received) > MAX_LINE_BYTES:
            raise AdminProtocolError("line too long")
        chunk = connection.recv(65536)
        if not chunk:
            raise AdminProtocolError("the connection closed before a whole line arrived")
        received += chunk
    return bytes(received.partition(b"\n")[0])


def receive_request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A request line and the descriptors sent with it (the caller closes them)."""
    data, fds, _flags, _address = socket.recv_fds(connection, 65536, MAX_FDS)
    try:
        if not data:
            raise AdminProtocolError("empty request")
        return decode(receive_line(connection, data)), fds
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise


@contextlib.contextmanager
def socket_address(path: Path) -> Iterator[str]:
    """An address bind/connect accept for `path`: the path itself, or one through its directory's descriptor."""
    if len(os.fsencode(path)) <= _MAX_SOCKET_PATH or not Path("/proc/self/fd").is_dir():
        yield str(path)
        return
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{directory}/{path.name}"
    finally:
        os.close(directory)
