"""A real PostgreSQL 15 for the tests: one throwaway cluster per session, a fresh database per test.

The cluster lives in a temporary directory owned by the `postgres` user (initdb refuses to run as root), listens
on 127.0.0.1 only and on a Unix socket in that directory, and runs with fsync off: it holds nothing worth keeping.
Databases are cloned from a template that already has Leadline's schema (about 0.3 s each, not a migration run).
"""

from __future__ import annotations

import itertools
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from leadline.store.metadata.store import open_metadata_store
from tests.live_server import free_port

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
ROLE = "leadline"
MIGRATED_TEMPLATE = "leadline_migrated"
STARTUP_TIMEOUT_SECONDS = 30
_SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "300",
}


def _as_postgres(command: list[str]) -> list[str]:
    # PostgreSQL will not run as root; as any other user it runs as that user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class PostgresCluster:
    """A running throwaway cluster; `new_database` hands out SQLAlchemy URLs of fresh databases."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self._data = directory / "data"
        self._numbers = itertools.count(1)
        self._has_template = False
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        password_file = self.directory / "superuser-password"
        password_file.write_text(secrets.token_urlsafe(16))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            for path in (self.directory, password_file):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        initdb = [str(POSTGRES_BIN / "initdb"), "-D", str(self._data), "-U", "postgres", "--no-locale", "-E", "UTF8"]
        # Socket connections (the admin's) trust the local user; TCP ones (the application's) need the password.
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={password_file}", "--no-sync"]
        subprocess.run(_as_postgres(initdb), check=True, capture_output=True)
        command = [str(POSTGRES_BIN / "postgres"), "-D", str(self._data), "-p", str(self.port)]
        command += ["-k", str(self.directory)]
        for name, value in _SERVER_SETTINGS.items():
            command += ["-c", f"{name}={value}"]
        # A child of this process, in its process group (not daemonized by pg_ctl): whatever stops the test run
        # as a whole stops the server too.
        with (self.directory / "postgres.log").open("wb") as log:
            self._process = subprocess.Popen(_as_postgres(command), stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_ready()
        with self._admin() as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(ROLE), self.password))

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            postmaster = self._data / "postmaster.pid"
            if postmaster.exists():
                # SIGINT is PostgreSQL's fast shutdown: sessions still open are ended, nothing is waited for.
                os.kill(int(postmaster.read_text().split()[0]), signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            if self._process is None or self._process.poll() is not None:
                log = (self.directory / "postgres.log").read_text(errors="replace")
                raise RuntimeError(f"postgres exited at start:\n{log}")
            try:
                self._admin().close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self, migrated: bool = True) -> str:
        """A new database owned by the application's role: with Leadline's schema, or empty (`migrated=False`)."""
        name = f"test_{next(self._numbers)}"
        template = self._migrated_template() if migrated else "template0"
        self._create(name, template)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _migrated_template(self) -> str:
        if not self._has_template:
            self._create(MIGRATED_TEMPLATE, "template0")
            open_metadata_store(self.url(MIGRATED_TEMPLATE)).close()  # closed: a template must have no sessions
            self._has_template = True
        return MIGRATED_TEMPLATE

    def _create(self, name: str, template: str) -> None:
        with self._admin() as admin:
            admin.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(ROLE), sql.Identifier(template)
                )
            )

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=str(self.directory), port=self.port, user="postgres", dbname="postgres", autocommit=True
        )


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """The session's PostgreSQL cluster (tests using it are skipped where PostgreSQL 15 is not installed)."""
    if not (POSTGRES_BIN / "postgres").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({POSTGRES_BIN}): apt-get install postgresql-15")
    # Not pytest's tmp_path: its parents are private to this user, and the server runs as `postgres`.
    cluster = PostgresCluster(Path(tempfile.mkdtemp(prefix="leadline-pg-")))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh database with Leadline's schema on the session's cluster, dropped after the test."""
    url = postgres.new_database()
    yield url
    postgres.drop_database(url)


@pytest.fixture
def empty_postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh database without any table, for tests of the migrations themselves."""
    url = postgres.new_database(migrated=False)
    yield url
    postgres.drop_database(url)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh metadata database on each backend Leadline supports: tests using it run once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=BACKENDS)
def empty_metadata_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """As `metadata_url`, but the database has no schema yet (a new SQLite file, an empty PostgreSQL database)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    url: str = request.getfixturevalue("empty_postgres_url")
    return url
