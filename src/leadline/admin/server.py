"""The server's side of the admin socket: a Unix socket in the data directory, owner-only, one thread per caller.

Threads rather than the event loop: a backup is minutes of blocking file work, and it must not delay hits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from leadline.admin.backup import BackupError
from leadline.admin.commands import Command, CommandError, admin_commands
from leadline.admin.context import AdminContext
from leadline.admin.protocol import AdminProtocolError, encode, receive_request, socket_address

logger = logging.getLogger("leadline.admin")
SOCKET_MODE = 0o600
_PEER_CREDENTIALS = struct.Struct("3i")  # pid, uid, gid


class AdminSocket:
    def __init__(self, path: Path, commands: Mapping[str, Command]) -> None:
        self.path = path
        self._commands = commands
        self._server: _UnixServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Listen on the socket (replacing one a crashed server left), in a background thread."""
        server = _UnixServer(self.path, self._commands)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.1,), name="admin-socket", daemon=True)
        self._thread.start()
        logger.info("admin socket listening on %s", self.path)

    def stop(self) -> None:
        """Stop listening and remove the socket; a command still running ends with the process."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, path: Path, commands: Mapping[str, Command]) -> None:
        self.path = path
        self.commands = commands
        super().__init__(str(path), _Handler)

    def server_bind(self) -> None:
        # Bound under a draft name, narrowed to the owner, then renamed into place: the socket is never
        # reachable with wider permissions, whatever the process's umask.
        draft = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        draft.unlink(missing_ok=True)
        with socket_address(draft) as address:
            self.socket.bind(address)
        os.chmod(draft, SOCKET_MODE)
        os.replace(draft, self.path)
        self.server_address = str(self.path)


class _Handler(socketserver.BaseRequestHandler):
    server: _UnixServer

    def handle(self) -> None:
        connection: socket.socket = self.request
        try:
            answer = self.answer(connection)
        except AdminProtocolError as error:
            answer = {"ok": False, "error": f"bad request: {error}"}
        try:
            connection.sendall(encode(answer))
        except OSError:
            logger.warning("the admin client left before its answer")

    def answer(self, connection: socket.socket) -> dict[str, Any]:
        if not same_user(connection):
            return {"ok": False, "error": "only the server's own user (or root) may use the admin socket"}
        request, fds = receive_request(connection)
        try:
            name = request.get("command")
            command = self.server.commands.get(name) if isinstance(name, str) else None
            if command is None:
                return {"ok": False, "error": f"unknown command {name!r}: one of {', '.join(self.server.commands)}"}
            logger.info("admin command %s", name)
            try:
                return {"ok": True, **command(request, fds)}
            except (CommandError, BackupError) as error:
                return {"ok": False, "error": str(error)}
            except Exception as error:
                logger.exception("admin command %s failed", name)
                return {"ok": False, "error": f"{name} failed: {error}"}
        finally:
            for fd in fds:
                os.close(fd)


def same_user(connection: socket.socket) -> bool:
    """The peer runs as this process's user or as root (checked besides the socket's mode, which root ignores)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # the socket's mode 0600 is then the only check
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEER_CREDENTIALS.size)
    _pid, uid, _gid = _PEER_CREDENTIALS.unpack(credentials)
    return uid in (os.getuid(), 0)


def admin_socket(context: AdminContext) -> AdminSocket | None:
    """The socket a server holding the embedded event store listens on (operator commands cannot open that file
    beside it); none over server databases, which every command opens itself (and several workers share)."""
    return AdminSocket(context.socket_path, admin_commands(context)) if context.holds_event_file else None
