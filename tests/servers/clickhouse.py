"""A real ClickHouse cluster for the tests: two `clickhouse-server` processes (Debian's 18.16), one shard each.

Each server runs as a plain child process with its own directory and ports, configured from the same template
operators use (deploy/clickhouse/config.xml.template); both configs name the two of them as the cluster
`leadline`. Tests get a fresh database each (the event store creates its tables on both shards itself).
"""

from __future__ import annotations

import itertools
import shutil
import socket
import string
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clickhouse_driver import Client, errors

from tests.live_server import free_port

CLICKHOUSE_SERVER = Path("/usr/sbin/clickhouse-server")
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "clickhouse"
CLUSTER = "leadline"
SHARDS = 2
STARTUP_TIMEOUT_SECONDS = 60
MARK_CACHE_BYTES = 64 * 1024 * 1024  # the default (5 GB) is allocated on demand, but a test needs little


class ClickHouseServer:
    """One server of the cluster: a child process over its own directory."""

    def __init__(self, directory: Path, config_text: str, tcp_port: int) -> None:
        self.directory = directory
        self.tcp_port = tcp_port
        self.config = directory / "config.xml"
        self.config.write_text(config_text)
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        (self.directory / "log").mkdir(exist_ok=True)
        with (self.directory / "stdout.log").open("ab") as log:
            self._process = subprocess.Popen(
                [str(CLICKHOUSE_SERVER), f"--config-file={self.config}"],
                cwd=self.directory,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if self._process is None or self._process.poll() is not None:
                logs = "".join(path.read_text(errors="replace")[-4000:] for path in self.directory.rglob("*.log"))
                raise RuntimeError(f"clickhouse-server exited at start:\n{logs}")
            try:  # the port first: the driver logs every refused connection with its traceback
                socket.create_connection(("127.0.0.1", self.tcp_port), timeout=1).close()
                client = Client("127.0.0.1", port=self.tcp_port, connect_timeout=1)
                try:
                    client.execute("SELECT 1")
                finally:
                    client.disconnect()
                return
            except (errors.Error, OSError, EOFError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Kill the server, as a crash or a lost machine would: what a shard outage looks like to Leadline.

        Not SIGTERM: 18.16 then waits up to ten seconds for the other shard's open connections, and the tests'
        data is throwaway anyway (a killed server starts again over its directory all the same).
        """
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()


class ClickHouseCluster:
    """Two running servers named as the cluster `leadline`; `new_url` hands out events URLs of fresh databases."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._numbers = itertools.count(1)
        template = string.Template((DEPLOY / "config.xml.template").read_text())
        tcp_ports = [free_port() for _ in range(SHARDS)]
        shards = {
            f"shard{number}_{part}": value
            for number, port in enumerate(tcp_ports, start=1)
            for part, value in (("host", "127.0.0.1"), ("port", port))
        }
        self.servers: list[ClickHouseServer] = []
        for number, tcp_port in enumerate(tcp_ports, start=1):
            server_directory = directory / f"shard{number}"
            server_directory.mkdir()
            config = template.substitute(
                path=server_directory,
                listen_host="127.0.0.1",
                tcp_port=tcp_port,
                http_port=free_port(),
                interserver_http_port=free_port(),
                users_config=DEPLOY / "users.xml",
                mark_cache_size=MARK_CACHE_BYTES,
                **shards,
            )
            self.servers.append(ClickHouseServer(server_directory, config, tcp_port))

    def start(self) -> None:
        for server in self.servers:  # both start at once; each takes about a second
            server.start()
        for server in self.servers:
            server.wait_until_ready()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str, cluster: bool = True) -> str:
        suffix = f"?cluster={CLUSTER}" if cluster else ""
        return f"clickhouse://127.0.0.1:{self.servers[0].tcp_port}/{database}{suffix}"

    def new_url(self, cluster: bool = True) -> str:
        """The events URL of a database no test has used (created by the store that opens it)."""
        return self.url(f"leadline_test_{next(self._numbers)}", cluster)

    def client(self, shard: int, database: str = "default") -> Client:
        """A client of one shard's server (1-based), for looking at what each shard holds."""
        return Client("127.0.0.1", port=self.servers[shard - 1].tcp_port, database=database)


@pytest.fixture(scope="session")
def clickhouse_cluster() -> Iterator[ClickHouseCluster]:
    """The session's 2-shard ClickHouse cluster (tests using it are skipped where clickhouse-server is absent)."""
    if not CLICKHOUSE_SERVER.exists():
        pytest.skip(f"clickhouse-server is not installed ({CLICKHOUSE_SERVER}): apt-get install clickhouse-server")
    cluster = ClickHouseCluster(Path(tempfile.mkdtemp(prefix="leadline-clickhouse-")))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def clickhouse_url(clickhouse_cluster: ClickHouseCluster) -> str:
    """The events URL of a fresh database on the session's 2-shard cluster."""
    return clickhouse_cluster.new_url()
