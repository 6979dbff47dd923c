"""Two worker processes on PostgreSQL + a 2-shard ClickHouse + Redis: a per-key limit counts across both, and
a worker killed with SIGKILL is replaced and loses nothing.

Each worker holds its own spool directory (`spool/0`, `spool/1`), which tells which worker a connection
reached: a hit sent on it lands in that worker's spool. The requests that count against the limit are then
spread over connections to both workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadline.collect.spool import read_records
from leadline.store.events import open_event_store
from tests.live_server import LiveServer, start_server
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisServer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PER_KEY_LIMIT = 5
REQUESTS = 8
# Each worker process imports the whole application: on a loaded 2-core machine that alone took 9 s.
WORKERS_START_SECONDS = 90


@dataclass
class TwoWorkers:
    server: LiveServer
    events_url: str


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: PostgresCluster,
    clickhouse_cluster: ClickHouseCluster,
    redis_server: RedisServer,
) -> Iterator[TwoWorkers]:
    """`leadline serve` with 2 workers, shared by this module's tests (each uses accounts of its own)."""
    database_url, events_url = postgres.new_database(), clickhouse_cluster.new_url()
    redis_server.empty()
    server = start_server(
        tmp_path_factory.mktemp("two-workers"),
        {
            "LEADLINE_WORKERS": "2",
            "LEADLINE_DATABASE_URL": database_url,
            "LEADLINE_EVENTS_URL": events_url,
            "LEADLINE_REDIS_URL": redis_server.url,
            "LEADLINE_MANAGEMENT_RATE_LIMIT": f"{PER_KEY_LIMIT}/minute",
            # Hits stay in the spool files long enough to be seen there.
            "LEADLINE_SPOOL_SEGMENT_SECONDS": "60",
            "LEADLINE_FLUSH_INTERVAL_SECONDS": "60",
        },
        timeout=WORKERS_START_SECONDS,
    )
    try:
        # The server answers once one worker is up; the other has claimed its spool directory once it exists.
        spools = [server.data_dir / "spool" / str(index) for index in (0, 1)]
        if not eventually(lambda: all(spool.is_dir() for spool in spools), WORKERS_START_SECONDS):
            pytest.fail(f"the second worker did not start:\n{server.log()}")
        yield TwoWorkers(server, events_url)
    finally:
        server.stop()
        postgres.drop_database(database_url)


def eventually(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def spool_sizes(data_dir: Path) -> dict[int, int]:
    """Bytes of the records in each worker's spool (an open segment's file is as long as the space it reserved)."""
    return {
        index: sum(
            len(record)
            for path in (data_dir / "spool" / str(index)).iterdir()
            if path.suffix in (".open", ".seg")
            for record in read_records(path)
        )
        for index in (0, 1)
    }


def connections_to_each_worker(server: LiveServer, site_id: str) -> dict[int, list[httpx.Client]]:
    """Keep-alive connections, sorted by the worker that accepted them, until each worker has at least two."""
    by_worker: dict[int, list[httpx.Client]] = {0: [], 1: []}
    for _ in range(60):
        if min(len(clients) for clients in by_worker.values()) >= 2:
            return by_worker
        client = httpx.Client(base_url=server.base_url, timeout=30)
        before = spool_sizes(server.data_dir)
        answer = client.post(
            "/api/event",
            json={"site": site_id, "url": "https://shop.example/"},
            headers={"User-Agent": BROWSER, "Origin": "https://shop.example"},
        )
        assert answer.status_code == 202
        grown = [index for index, size in spool_sizes(server.data_dir).items() if size > before[index]]
        assert len(grown) == 1
        by_worker[grown[0]].append(client)
    pytest.fail(f"connections did not reach both workers: {[len(clients) for clients in by_worker.values()]}")


def test_a_per_key_limit_of_5_a_minute_holds_across_two_workers(two_workers: TwoWorkers) -> None:
    server = two_workers.server
    account = server.new_account("Limited")
    key = server.new_key(account)
    site = server.new_site(account)
    by_worker = connections_to_each_worker(server, site.id)
    try:
        alternating = [by_worker[request % 2][request // 2 % 2] for request in range(REQUESTS)]
        statuses = [
            client.get("/v1/sites", headers={"Authorization": f"Bearer {key}"}).status_code for client in alternating
        ]
    finally:
        for client in by_worker[0] + by_worker[1]:
            client.close()
    assert statuses == [200] * PER_KEY_LIMIT + [429] * (REQUESTS - PER_KEY_LIMIT)


def holder_of(path: Path) -> int | None:
    """The process that has `path` open (a spool directory's lock file: the worker holding it), if any."""
    for fd_directory in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):  # processes come and go while we look
            if any(os.readlink(fd) == str(path) for fd in fd_directory.iterdir()):
                return int(fd_directory.parent.name)
    return None


def test_each_worker_holds_a_spool_directory_of_its_own(two_workers: TwoWorkers) -> None:
    spool = two_workers.server.data_dir / "spool"
    holders = [holder_of(spool / f"{index}.lock") for index in (0, 1)]
    assert None not in holders and holders[0] != holders[1]
    assert holder_of(spool / "2.lock") is None and not (spool / "2").exists()


def test_what_the_spool_of_a_worker_killed_with_sigkill_held_is_stored_once(two_workers: TwoWorkers) -> None:
    server = two_workers.server
    site = server.new_site(server.new_account("Killed"))
    by_worker = connections_to_each_worker(server, site.id)  # one hit on each connection
    for client in by_worker[0] + by_worker[1]:
        client.close()
    victim = holder_of(server.data_dir / "spool" / "1.lock")
    assert victim is not None
    os.kill(victim, signal.SIGKILL)  # worker 1 dies with its hits in its spool (flushes are a minute apart)

    # The lease holder flushes spools no worker holds; a replacement worker that claims `spool/1` first replays
    # it at its start. Either way each segment is stored once.
    store = open_event_store(two_workers.events_url)
    try:
        assert eventually(lambda: store.count_hits(site.id) >= len(by_worker[1]))
        time.sleep(1)  # long enough for a second store of the same segment to show
        assert store.count_hits(site.id) == len(by_worker[1])  # worker 0's hits are still in its spool
    finally:
        store.close()
    assert not [path for path in (server.data_dir / "spool" / "1").iterdir() if path.suffix in (".open", ".seg")]


# A process of its own with its own RateLimiter: it says when it is ready, counts on a line from stdin, and
# prints 1 for each allowed request, 0 for each refused one.
COUNTING_PROCESS = f"""
import sys
from leadline.rate_limiter import RateLimiter
limit = RateLimiter(sys.argv[1]).limit("{PER_KEY_LIMIT}/minute", "reports")
print("ready", flush=True)
sys.stdin.readline()
print("".join("1" if limit.hit("key-1").allowed else "0" for _ in range(int(sys.argv[2]))), flush=True)
"""


def test_two_processes_counting_one_key_over_one_redis_allow_exactly_the_limit(redis_url: str) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTING_PROCESS, redis_url, str(REQUESTS // 2)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        for process in processes:  # both count at once
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=30)[0].strip() for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait()
    assert [len(output) for output in outputs] == [REQUESTS // 2] * 2
    assert "".join(outputs).count("1") == PER_KEY_LIMIT
