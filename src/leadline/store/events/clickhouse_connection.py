"""Connections to ClickHouse servers: the URL that names them, a small pool of native-protocol clients, and the
translation of the driver's errors into the event store's (unavailable, timed out)."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from clickhouse_driver import Client, errors

from leadline.store.events.base import EventStoreTimeoutError, EventStoreUnavailableError

DEFAULT_PORT = 9000
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONNECT_TIMEOUT_SECONDS = 5.0
# Far longer than any report may run (those are cut short by max_execution_time): a dead peer, not a slow query.
SEND_RECEIVE_TIMEOUT_SECONDS = 300.0

# Server error codes that mean "a server could not be reached or is overloaded": retrying later can succeed.
UNAVAILABLE_CODES = frozenset(
    {
        errors.ErrorCodes.NETWORK_ERROR,
        errors.ErrorCodes.SOCKET_TIMEOUT,
        errors.ErrorCodes.ALL_CONNECTION_TRIES_FAILED,
        errors.ErrorCodes.ATTEMPT_TO_READ_AFTER_EOF,
        errors.ErrorCodes.NO_FREE_CONNECTION,
        errors.ErrorCodes.SHARD_HAS_NO_CONNECTIONS,
        errors.ErrorCodes.TOO_MANY_SIMULTANEOUS_QUERIES,
    }
)

# Every query: joins without ANY/ALL mean ALL (18.16 refuses them otherwise); a subquery over a Distributed table
# inside a distributed query reads the shard's own table (visitors are sharded, so sessions are shard-local);
# an INSERT into a Distributed table returns once every shard has its rows (a replay's check then sees them).
QUERY_SETTINGS: dict[str, Any] = {
    "join_default_strictness": "ALL",
    "distributed_product_mode": "local",
    "insert_distributed_sync": 1,
}


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """One server, and the cluster its Distributed tables span (None: a single server)."""

    host: str
    port: int
    database: str
    user: str = "default"
    password: str = ""
    cluster: str | None = None

    def on(self, host: str, port: int) -> ServerAddress:
        """The same database and credentials on another server of the cluster."""
        return replace(self, host=host, port=port)

    def __repr__(self) -> str:  # never the password
        return f"ServerAddress({self.host}:{self.port}/{self.database}, cluster={self.cluster!r})"


def parse_clickhouse_url(url: str) -> ServerAddress:
    """`clickhouse://[USER[:PASSWORD]@]HOST[:PORT]/DATABASE[?cluster=NAME]` (native protocol, port 9000 by default)."""
    parts = urlsplit(url)
    if parts.scheme != "clickhouse" or not parts.hostname:
        raise ValueError("a ClickHouse events URL looks like clickhouse://HOST:PORT/DATABASE?cluster=NAME")
    database = parts.path.strip("/") or "default"
    cluster = parse_qs(parts.query).get("cluster", [None])[-1]
    # Both enter SQL text (CREATE DATABASE, the Distributed engine's arguments): plain identifiers only.
    for what, name in (("database", database), ("cluster", cluster)):
        if name is not None and not IDENTIFIER.match(name):
            raise ValueError(f"the ClickHouse {what} name {name!r} must be letters, digits and underscores")
    return ServerAddress(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORT,
        database=database,
        user=unquote(parts.username) if parts.username else "default",
        password=unquote(parts.password) if parts.password else "",
        cluster=cluster,
    )


def new_client(address: ServerAddress, database: str | None = None) -> Client:
    return Client(
        host=address.host,
        port=address.port,
        database=database or address.database,
        user=address.user,
        password=address.password,
        settings=QUERY_SETTINGS,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        send_receive_timeout=SEND_RECEIVE_TIMEOUT_SECONDS,
    )


def bound(params: dict[str, object]) -> dict[str, object]:
    """Parameters as the ClickHouse tables hold them: instants (naive = UTC) as Unix microseconds."""
    return {name: _microseconds(value) if isinstance(value, datetime) else value for name, value in params.items()}


def _microseconds(moment: datetime) -> int:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def translated_errors(address: ServerAddress) -> Iterator[None]:
    """The driver's failures as the event store's errors: what a caller may retry is EventStoreUnavailableError."""
    try:
        yield
    except errors.ServerException as error:
        if error.code == errors.ErrorCodes.TIMEOUT_EXCEEDED:
            raise EventStoreTimeoutError("the query ran past its time limit and was stopped") from error
        if error.code in UNAVAILABLE_CODES:
            raise EventStoreUnavailableError(
                f"ClickHouse at {address.host}:{address.port}: {_first_line(error)}"
            ) from error
        raise
    except (errors.NetworkError, errors.SocketTimeoutError, EOFError, OSError) as error:
        raise EventStoreUnavailableError(
            f"ClickHouse at {address.host}:{address.port} cannot be reached: {_first_line(error)}"
        ) from error


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


class ClientPool:
    """Up to `size` clients of one server, each used by one thread at a time (a client is not thread-safe)."""

    def __init__(self, address: ServerAddress, size: int) -> None:
        self.address = address
        self._size = size
        self._idle: queue.LifoQueue[Client] = queue.LifoQueue()
        self._created = 0
        self._lock = threading.Lock()
        self._all: list[Client] = []

    @contextmanager
    def client(self, deadline: float | None = None) -> Iterator[Client]:
        """A client for this thread; past `deadline` (time.monotonic) without one: EventStoreTimeoutError."""
        client = self._take(deadline)
        try:
            with translated_errors(self.address):
                yield client
        finally:
            self._idle.put(client)

    def _take(self, deadline: float | None) -> Client:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._created < self._size:
                self._created += 1
                client = new_client(self.address)
                self._all.append(client)
                return client
        try:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            return self._idle.get(timeout=timeout)
        except queue.Empty:
            raise EventStoreTimeoutError("every connection to ClickHouse stayed busy past the time limit") from None

    def close(self) -> None:
        with self._lock:
            for client in self._all:
                client.disconnect()
