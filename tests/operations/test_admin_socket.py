"""The admin socket: owner-only, one JSON line each way, clear refusals, gone when the server stops."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from leadline.admin.client import NoServerError, ask
from leadline.admin.server import AdminSocket, admin_socket
from leadline.deployment import Deployment


def echo(request: dict[str, Any], fds: Sequence[int]) -> dict[str, Any]:
    return {"request": request, "files": len(fds)}


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[AdminSocket]:
    admin = AdminSocket(tmp_path / "admin.sock", {"echo": echo})
    admin.start()
    yield admin
    admin.stop()


def test_the_socket_is_owner_only_and_answers_one_line_per_request(listening: AdminSocket) -> None:
    assert stat.S_IMODE(listening.path.stat().st_mode) == 0o600
    assert ask(listening.path, {"command": "echo", "n": 1}) == {
        "ok": True,
        "request": {"command": "echo", "n": 1},
        "files": 0,
    }


def test_an_unknown_command_is_refused_with_the_known_ones(listening: AdminSocket) -> None:
    assert ask(listening.path, {"command": "drop-everything"}) == {
        "ok": False,
        "error": "unknown command 'drop-everything': one of echo",
    }


def test_a_line_that_is_not_json_is_refused(listening: AdminSocket) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(str(listening.path))
        connection.sendall(b"backup please\n")
        answer = connection.makefile("rb").readline()
    assert answer.startswith(b'{"ok": false, "error": "bad request: not JSON')


def test_the_socket_is_removed_when_the_server_stops(tmp_path: Path) -> None:
    admin = AdminSocket(tmp_path / "admin.sock", {"echo": echo})
    admin.start()
    admin.stop()

    assert not admin.path.exists()
    with pytest.raises(NoServerError):
        ask(admin.path, {"command": "echo"})


def test_a_socket_left_by_a_crashed_server_means_no_server(tmp_path: Path) -> None:
    stale = tmp_path / "admin.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as crashed:
        crashed.bind(str(stale))  # bound, never listening, then closed: what a killed server leaves
    with pytest.raises(NoServerError):
        ask(stale, {"command": "echo"})


def test_a_backup_request_without_a_file_to_write_is_refused(deployment: Deployment) -> None:
    admin = admin_socket(deployment.admin())
    assert admin is not None
    admin.start()
    try:
        answer = ask(admin.path, {"command": "backup"})
    finally:
        admin.stop()
    assert answer == {"ok": False, "error": "backup needs one open file to write to, sent with the request"}
