"""A real Redis for the tests: one throwaway server per session on 127.0.0.1, emptied before each test.

It keeps nothing on disk (no snapshots, no append-only file) and lives in a temporary directory, a child of
the test run, stopped at the end of the session.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.live_server import free_port

REDIS_SERVER = Path("/usr/bin/redis-server")
STARTUP_TIMEOUT_SECONDS = 10


class RedisServer:
    """A running redis-server; `url` names its database 0."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
        command += ["no", "--dir", str(self.directory), "--daemonize", "no"]
        with (self.directory / "redis.log").open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        with redis.Redis.from_url(self.url) as client:
            while True:
                if self._process.poll() is not None:
                    raise RuntimeError(f"redis-server exited at start:\n{(self.directory / 'redis.log').read_text()}")
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)

    def empty(self) -> None:
        with redis.Redis.from_url(self.url) as client:
            client.flushall()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """The session's Redis (tests using it are skipped where redis-server is not installed)."""
    if not REDIS_SERVER.exists():
        pytest.skip(f"Redis is not installed ({REDIS_SERVER}): apt-get install redis-server")
    server = RedisServer(Path(tempfile.mkdtemp(prefix="leadline-redis-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the session's Redis, emptied for this test."""
    redis_server.empty()
    return redis_server.url
