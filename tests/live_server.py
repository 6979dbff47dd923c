"""A real Leadline server process on 127.0.0.1, and direct access to its metadata store for test set-up."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from leadline.config import Settings
from leadline.store.metadata.records import Account, Site
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from leadline.store.secret_key import sealing_key

STARTUP_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def leadline_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a Leadline process using `data_dir`, without anything inherited that could leak in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADLINE_")}
    env["LEADLINE_DATA_DIR"] = str(data_dir)
    env["LEADLINE_CONFIG"] = str(data_dir / "absent-leadline.toml")
    env.update(extra or {})
    return env


def run_leadline(
    data_dir: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`leadline ARGS` in a process of its own using `data_dir` (and `env` on top), its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "leadline", *args],
        env=leadline_env(data_dir, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class LiveServer:
    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    metadata: MetadataStore = field(repr=False)

    def url(self, path: str) -> str:
        return self.base_url + path

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30)

    def new_account(self, name: str = "Acme", timezone: str = "UTC") -> Account:
        return self.metadata.accounts.create(name, f"{name.lower()}@example.com", timezone)

    def new_key(self, account: Account, *permissions: str) -> str:
        return self.metadata.api_keys.create(account.id, permissions or ("*",)).key

    def new_site(self, account: Account, name: str = "Site") -> Site:
        return self.metadata.sites.create(account.id, {"name": name}, default_timezone=account.timezone)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an out-of-memory kill."""
        self.metadata.close()
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """SIGTERM: a graceful shutdown."""
        self.metadata.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    data_dir: Path,
    settings: Mapping[str, str] | None = None,
    timeout: float = STARTUP_TIMEOUT_SECONDS,
    new_session: bool = False,
) -> LiveServer:
    """Start `leadline serve` on a free loopback port and wait until it answers.

    `new_session`: the server leads a process group of its own, so that it can be killed whole, its workers
    with it (`os.killpg(server.process.pid, ...)`).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = data_dir / "server.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "leadline", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=leadline_env(data_dir, settings),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )
    log_file.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"leadline serve exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError(f"leadline serve did not start:\n{log_path.read_text()}")
    # The server's secret key (its setting, else the key file in its data directory) opens its signing keys here too.
    secret = sealing_key(Settings(data_dir=data_dir, secret_key=(settings or {}).get("LEADLINE_SECRET_KEY")))
    # The server's metadata store: its LEADLINE_DATABASE_URL (PostgreSQL, say), else the SQLite file it made.
    url = (settings or {}).get("LEADLINE_DATABASE_URL") or f"sqlite:///{data_dir.resolve() / 'leadline.sqlite3'}"
    metadata = open_metadata_store(url, migrate=False, sealing_key=secret)
    return LiveServer(base_url=base_url, data_dir=data_dir, process=process, log_path=log_path, metadata=metadata)


@contextlib.contextmanager
def demo_output(
    command: Sequence[str] | str, env: Mapping[str, str], cwd: Path | None = None, timeout: float = 600
) -> Iterator[dict[str, str]]:
    """Run a `leadline demo` command until its server is up; yield its printed `Label: value` lines."""
    process = subprocess.Popen(
        command,
        shell=isinstance(command, str),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # so the whole group (make, its shell, the server) can be stopped
    )
    try:
        if process.stdout is None:
            raise RuntimeError("no output pipe")
        printed: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        for line in process.stdout:
            label, _, value = line.partition(":")
            printed[label.strip()] = value.strip()
            # uvicorn binds its socket after the lifespan has started: "running on" comes once it listens.
            if "Uvicorn running on" in line or time.monotonic() > deadline:
                break
        yield printed
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
