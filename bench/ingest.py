"""Ingest benchmark: the full collector against a bare 204 endpoint on the same server stack.

The bare endpoint receives the request body like the collector (so both pay for taking a hit in over
HTTP) and answers 204 without looking at it; the ratio is what the collector's own work costs.

Starts `leadline serve` (one worker, embedded stores) in a scratch directory, drives it over loopback with
wrk (a separate load process; `apt-get install wrk`) for a fixed time per round, and prints throughput,
p50/p99 latency, server CPU per hit, and the collector/bare ratio, each figure beside its target: the
collector at >= 60 % of bare's throughput, with p99 <= 20 ms (issue 14). Exits 1 when a target is missed.
Each round also says where the CPU went: per hit in the server's event loop (its main thread) and in its
other threads (flusher, fsyncs, the database's threads), and the share of a core the loop and wrk had, beside
the machine's idle share; so a slow round shows whether the collector did more work per hit or got less CPU.

Throughput is measured at saturation: every connection sends its next request as soon as the last is answered.
Latency there is queueing: by Little's law the mean is connections / throughput (64 / 3,000 per second =
21 ms), whatever the collector does, so a p99 at saturation says how fast the machine is, not how steady the
collector is. The p99 target is therefore checked in a paced round after the saturated ones: each endpoint
at the same fixed rate, half the collector's measured capacity (`--paced-load 0.5`), where a request waits
only for its own work and for whatever stalls the server (a flush holding the GIL, a garbage collection).
The saturated p99 is printed beside it.
After each collector round the bench waits until the server has stored what the round spooled: the flush
would otherwise fall into the next round, the bare endpoint's, and flatter the ratio.
Other processes on the machine swing the absolute figures: compare ratios from one run (the round-by-round
ratio, each collector round against the bare round just before it, is the steadiest), and read the load
average it prints.

`--stores server` runs the server on PostgreSQL, a 2-shard ClickHouse cluster and Redis, which it starts
itself (the test suite's throwaway servers, tests/servers/); `--workers 1,2` then measures each worker count
in turn, on fresh databases, and prints how much 2 workers take over 1, beside the same ratio for the bare
endpoint (the most the server stack itself gains from another worker on this machine).

    .venv/bin/python bench/ingest.py [--seconds 10] [--connections 64] [--rounds 2]
    .venv/bin/python bench/ingest.py --stores server --workers 1,2 [--seconds 10] [--rounds 1]
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import LiveServer, start_server
from tests.servers.clickhouse import ClickHouseCluster
from tests.servers.postgres import PostgresCluster
from tests.servers.redis import RedisServer

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.{v} "
    "Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:1{v}.0) Gecko/20100101 Firefox/1{v}.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel {v}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
    "Mobile Safari/537.36",
]
EXTRA = dict(item.split("=", 1) for item in os.environ.get("BENCH_SETTINGS", "").split() if item)
REFERRERS = ["", "", "https://www.bing.com/search?q=analytics", "https://news.ycombinator.com/", "https://t.co/x"]
TARGET_RATIO = 0.60  # collector throughput / bare throughput
TARGET_P99_MS = 20.0  # the collector's p99 latency
SETTLE_TIMEOUT_SECONDS = 30  # longest wait for the spool to be stored after a collector round
WORKERS_START_SECONDS = 90  # each worker imports the whole application: slow on a loaded 2-core machine

LUA_TEMPLATE = """
local requests = {}
local bodies = %(bodies)s
local agents = %(agents)s
local index = 0
init = function(args)
  for i = 1, #bodies do
    local headers = {}
    headers["Content-Type"] = "text/plain"
    headers["User-Agent"] = agents[(i %% #agents) + 1]
    headers["X-Forwarded-For"] = "81.2." .. (i %% 200) .. "." .. (i %% 250)
    requests[i] = wrk.format("POST", "%(path)s", headers, bodies[i])
  end
end
request = function()
  index = (index %% #requests) + 1
  return requests[index]
end
%(pacing)sdone = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%f %%f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
"""


@dataclass
class Round:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    usage: CpuUsage  # where the machine's CPU went during the round
    bad_statuses: int
    paced_at: float | None = None  # the rate asked of a paced round, per second; None: saturated

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us_per_request(self) -> float:
        """The server's CPU (all its threads) per hit."""
        return (self.usage.loop + self.usage.other_threads) / self.requests * 1e6


def pacing(rate: float | None, connections: int) -> str:
    """wrk's `delay` hook for a paced round: each connection waits its share of the interval before sending.

    The wait does not count in the latency wrk measures. A connection also waits for its answer, so the rate
    reached is a little below `rate`: the round prints the rate it reached.
    """
    if rate is None:
        return ""
    return f"delay = function() return {max(1, round(connections * 1000 / rate))} end\n"


def lua_list(values: list[str]) -> str:
    return "{" + ",".join(json.dumps(value) for value in values) + "}"


def _ticks(stat: Path) -> float:
    """User + system CPU seconds of a /proc stat file (a process's, or one thread's)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loop_and_other_cpu(pid: int) -> tuple[float, float]:
    """User + system CPU seconds (from /proc) of the main threads of a process and of its running children
    (where uvicorn runs the event loop), and of all their other threads (the flusher, fsyncs, the database's
    own threads)."""
    total = _ticks(Path(f"/proc/{pid}/stat"))
    loop = _ticks(Path(f"/proc/{pid}/task/{pid}/stat"))
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children.update(int(child) for child in (task / "children").read_text().split())
    for child in children:
        child_loop, child_other = loop_and_other_cpu(child)
        loop, total = loop + child_loop, total + child_loop + child_other
    return loop, total - loop


def idle_seconds() -> float:
    """Idle CPU seconds of the whole machine since boot, summed over its cores (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")  # idle + iowait


T = TypeVar("T")


@dataclass(frozen=True)
class CpuUsage:
    """Where a round's CPU went, in seconds: the server's event loop and its other threads, the load generator
    (wrk), and what the machine left idle. Tells a round slowed by the collector's own work (more loop CPU per
    hit) from one whose loop got less of a core (others took it, or it waited)."""

    loop: float
    other_threads: float
    load_generator: float
    idle: float


def measured_usage(pid: int, run: Callable[[], T]) -> tuple[T, CpuUsage]:
    """What `run` returns, and where the CPU went while it ran: server `pid`'s, the children this process waited
    for meanwhile (the load generator), the machine's idle time."""
    loop, other = loop_and_other_cpu(pid)
    children, idle = resource.getrusage(resource.RUSAGE_CHILDREN), idle_seconds()
    result = run()
    loop_after, other_after = loop_and_other_cpu(pid)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    generator = (children_after.ru_utime + children_after.ru_stime) - (children.ru_utime + children.ru_stime)
    return result, CpuUsage(loop_after - loop, other_after - other, generator, idle_seconds() - idle)


def run_wrk(server: LiveServer, script: Path, seconds: int, connections: int) -> tuple[int, float, float, float, int]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(script), server.base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration_us, p50_us, p99_us, bad = match.groups()
    return int(requests), int(duration_us) / 1e6, float(p50_us) / 1000, float(p99_us) / 1000, int(bad)


def start_profiler(server: LiveServer, output: Path, seconds: int) -> subprocess.Popen[bytes]:
    """py-spy sampling the server (every thread, 200 Hz) for `seconds`, without pausing it."""
    py_spy = Path(sys.executable).with_name("py-spy")
    command = [str(py_spy), "record", "-p", str(server.process.pid), "-d", str(seconds), "-r", "200"]
    return subprocess.Popen([*command, "-f", "raw", "-o", str(output), "--nonblocking"], stderr=subprocess.DEVNULL)


@dataclass(frozen=True)
class ServerStores:
    """The servers of `--stores server`: each measured worker count gets fresh databases on them."""

    postgres: PostgresCluster
    clickhouse: ClickHouseCluster
    redis: RedisServer

    def settings(self, workers: int) -> dict[str, str]:
        self.redis.empty()
        return {
            "LEADLINE_WORKERS": str(workers),
            "LEADLINE_DATABASE_URL": self.postgres.new_database(),
            "LEADLINE_EVENTS_URL": self.clickhouse.new_url(),
            "LEADLINE_REDIS_URL": self.redis.url,
        }


@contextlib.contextmanager
def server_stores() -> Iterator[ServerStores]:
    """PostgreSQL, a 2-shard ClickHouse cluster and Redis on 127.0.0.1, each in a scratch directory, stopped
    on leaving."""
    with contextlib.ExitStack() as stack:
        # Not one scratch directory for all: PostgreSQL runs as `postgres`, and takes its own as the tests do.
        postgres = PostgresCluster(Path(tempfile.mkdtemp(prefix="leadline-bench-pg-")))
        clickhouse = ClickHouseCluster(Path(tempfile.mkdtemp(prefix="leadline-bench-clickhouse-")))
        redis = RedisServer(Path(tempfile.mkdtemp(prefix="leadline-bench-redis-")))
        for server in (postgres, clickhouse, redis):
            stack.callback(server.stop)
            server.start()
        yield ServerStores(postgres, clickhouse, redis)


def worker_counts(text: str) -> list[int]:
    try:
        counts = [int(count) for count in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of worker counts: {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts are 1 or more: {text!r}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the server through the first collector round into this file (collapsed stacks, "
        "for flamegraph.pl or speedscope); py-spy is in the dev extra",
    )
    parser.add_argument(
        "--paced-load",
        type=float,
        default=0.5,
        help="the rate of the paced rounds, where the p99 target is checked, as a share of the collector's "
        "throughput at saturation",
    )
    parser.add_argument(
        "--stores",
        choices=["embedded", "server"],
        default="embedded",
        help="embedded: SQLite + DuckDB in a scratch directory; server: PostgreSQL, 2-shard ClickHouse and Redis, "
        "started by the benchmark",
    )
    parser.add_argument(
        "--workers",
        type=worker_counts,
        default=[1],
        help="worker processes, or several counts measured in turn (1,2); above 1 needs --stores server",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed as the load generator: apt-get install wrk")
    if args.stores == "embedded" and args.workers != [1]:
        sys.exit("several workers need --stores server (the embedded stores belong to one process)")

    load_before = " ".join(f"{value:.2f}" for value in os.getloadavg())
    scratch = Path(tempfile.mkdtemp(prefix="leadline-bench-"))
    rounds_by_workers: dict[int, list[Round]] = {}
    with contextlib.ExitStack() as stack:
        stores = stack.enter_context(server_stores()) if args.stores == "server" else None
        for workers in args.workers:
            settings = {} if stores is None else stores.settings(workers)
            rounds_by_workers[workers] = measure(scratch / f"{workers}-workers", settings, workers, args)

    print(f"load average before / after: {load_before} / {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    missed: list[str] = []
    best_by_workers: dict[int, dict[str, Round]] = {}
    for workers, rounds in rounds_by_workers.items():
        if stores is not None:
            print(f"\n{workers} worker{'s' if workers > 1 else ''} on PostgreSQL, 2-shard ClickHouse and Redis:")
        best_by_workers[workers] = report(rounds, missed, args.connections)
    if 1 in best_by_workers and len(best_by_workers) > 1:
        print()
        one = best_by_workers[1]
        for workers, best in best_by_workers.items():
            if workers == 1:
                continue
            collector = best["collector"].per_second / one["collector"].per_second
            bare = best["bare"].per_second / one["bare"].per_second
            print(
                f"{workers} workers / 1 worker (best rounds): collector {collector:.2f}, bare {bare:.2f} "
                f"({best['collector'].per_second:.0f} vs {one['collector'].per_second:.0f} hits/s; "
                f"bare {best['bare'].per_second:.0f} vs {one['bare'].per_second:.0f} requests/s)"
            )
    shutil.rmtree(scratch, ignore_errors=True)
    if missed:
        sys.exit(f"target missed: {', '.join(dict.fromkeys(missed))}")


def measure(data_dir: Path, settings: Mapping[str, str], workers: int, args: argparse.Namespace) -> list[Round]:
    """Start a server with `settings`, warm both endpoints up, then run the rounds; the server is stopped after."""
    server = start_server(
        data_dir,
        {
            "LEADLINE_BENCH_BARE_ENDPOINT": "true",
            "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            **settings,
            **EXTRA,
            "LEADLINE_LOG_LEVEL": "warning",
        },
        timeout=WORKERS_START_SECONDS,
    )
    try:
        spools = [data_dir / "spool" / str(index) for index in range(workers)] if workers > 1 else []
        deadline = time.monotonic() + WORKERS_START_SECONDS
        while not all(spool.is_dir() for spool in spools):  # each worker claims its spool directory as it starts
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every worker started:\n{server.log()}")
            time.sleep(0.1)
        site = server.new_site(server.new_account())
        rng = random.Random(7)
        bodies = []
        for n in range(2000):
            body: dict[str, object] = {
                "site": site.id,
                "url": f"https://shop.example/{rng.choice(['', 'pricing', 'blog/post-' + str(n % 97), 'docs'])}"
                + ("?utm_source=newsletter" if n % 10 == 0 else ""),
                "referrer": rng.choice(REFERRERS),
            }
            if n % 20 == 0:
                body |= {"name": "Signup", "value": 1999}
            bodies.append(json.dumps(body))
        agents = [template.format(v=v) for template in USER_AGENTS for v in range(1, 11)]
        paths = {"bare": "/api/bare", "collector": "/api/event"}
        scripts: dict[tuple[str, float | None], Path] = {}

        def script(name: str, rate: float | None = None) -> Path:
            if (name, rate) not in scripts:  # written once: every round of an endpoint at that load runs it
                path = data_dir.parent / f"{name}{'' if rate is None else '-paced'}.lua"
                values = {"bodies": lua_list(bodies), "agents": lua_list(agents), "path": paths[name]}
                path.write_text(LUA_TEMPLATE % (values | {"pacing": pacing(rate, args.connections)}))
                scripts[name, rate] = path
            return scripts[name, rate]

        def run_round(name: str, rate: float | None = None, profiled: bool = False) -> Round:
            spy = start_profiler(server, args.profile, args.seconds) if profiled and args.profile else None
            (requests, seconds, p50, p99, bad), usage = measured_usage(
                server.process.pid, lambda: run_wrk(server, script(name, rate), args.seconds, args.connections)
            )
            if spy is not None:
                spy.wait()
            if name == "collector":
                settle(data_dir)
            return Round(name, requests, seconds, p50, p99, usage, bad, rate)

        for name in paths:  # warm up both paths (caches, salts, first segment)
            run_wrk(server, script(name), 2, args.connections)
        settle(data_dir)  # the warm-up's hits are stored before the first bare round
        rounds: list[Round] = []
        for number in range(args.rounds):
            for name in paths:
                rounds.append(run_round(name, profiled=number == 0 and name == "collector"))
        capacity = max(result.per_second for result in rounds if result.name == "collector")
        for name in paths:
            rounds.append(run_round(name, rate=args.paced_load * capacity))  # the last, the collector's, settles
    finally:
        server.stop()
    return rounds


def settle(data_dir: Path, timeout: float = SETTLE_TIMEOUT_SECONDS) -> None:
    """Wait until the server has stored what a collector round spooled (its spool holds no segment), so the
    flusher's work for one round does not fall into the next round, the bare endpoint's (its ratio would gain)."""
    deadline = time.monotonic() + timeout
    while any(path.suffix in (".open", ".seg") for path in (data_dir / "spool").rglob("*")):
        if time.monotonic() > deadline:
            print(f"the spool still held segments {timeout:.0f} s after a collector round", file=sys.stderr)
            return
        time.sleep(0.1)


def report(rounds: list[Round], missed: list[str], connections: int) -> dict[str, Round]:
    """Print the rounds and the targets; add the targets missed to `missed`; the best saturated round of each
    endpoint."""
    print(
        f"{'endpoint':<10} {'load':>10} {'hits/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/hit':>11} {'non-2xx':>8}"
        f"   {'loop us/hit':>11} {'others':>7} {'loop core':>9} {'wrk core':>8} {'idle':>5}"
    )
    best: dict[str, Round] = {}
    paced: dict[str, Round] = {}
    for result in rounds:
        load = "saturated" if result.paced_at is None else f"{result.paced_at:.0f}/s"
        print(
            f"{result.name:<10} {load:>10} {result.per_second:>9.0f} {result.p50_ms:>8.2f} {result.p99_ms:>8.2f} "
            f"{result.cpu_us_per_request:>11.0f} {result.bad_statuses:>8}   {usage_columns(result)}"
        )
        if result.paced_at is not None:
            paced[result.name] = result
        elif result.name not in best or result.per_second > best[result.name].per_second:
            best[result.name] = result
    collector = best["collector"]
    ratio = collector.per_second / best["bare"].per_second
    print()
    ratio_ok = ratio >= TARGET_RATIO
    print(f"collector / bare throughput (best rounds): {ratio:.2f}  (target >= {TARGET_RATIO:.2f}){verdict(ratio_ok)}")
    pairs = paired_ratios(rounds)
    print(
        f"collector / bare throughput round by round (each collector round against the bare round just before it, "
        f"less swayed by one lucky round): median {statistics.median(pairs):.2f}, {min(pairs):.2f}-{max(pairs):.2f} "
        f"over {len(pairs)} pairs"
    )
    p99, rate = paced["collector"].p99_ms, paced["collector"].per_second
    p99_ok = p99 <= TARGET_P99_MS
    print(
        f"collector p99 at {rate:.0f} hits/s (paced, {rate / collector.per_second:.0%} of its capacity): {p99:.2f} ms"
        f"  (target <= {TARGET_P99_MS:.0f} ms){verdict(p99_ok)}; bare at the same rate: {paced['bare'].p99_ms:.2f} ms"
    )
    queueing = connections / collector.per_second * 1000
    print(
        f"collector p99 at saturation (its best round): {collector.p99_ms:.2f} ms; {connections} connections "
        f"queue there, for a mean of {queueing:.1f} ms at its throughput (Little's law)"
    )
    collector_cpu, bare_cpu = collector.cpu_us_per_request, best["bare"].cpu_us_per_request
    print(f"CPU per hit: collector {collector_cpu:.0f} us, bare {bare_cpu:.0f} us ({bare_cpu / collector_cpu:.2f})")
    if not ratio_ok:
        missed.append("throughput ratio")
    if not p99_ok:
        missed.append("p99")
    if any(result.bad_statuses for result in rounds):
        missed.append("every answer 2xx")
    return best


def paired_ratios(rounds: list[Round]) -> list[float]:
    """Collector / bare throughput of each saturated collector round and the bare round measured just before it."""
    saturated = [result for result in rounds if result.paced_at is None]
    return [
        after.per_second / before.per_second
        for before, after in itertools.pairwise(saturated)
        if (before.name, after.name) == ("bare", "collector")
    ]


def usage_columns(result: Round) -> str:
    """A round's CPU per hit in the event loop and in the server's other threads, the share of a core the loop and
    the load generator had, and the machine's idle share (of all its cores)."""
    used = result.usage
    per_hit = 1e6 / result.requests
    idle = used.idle / (result.seconds * (os.cpu_count() or 1))
    return (
        f"{used.loop * per_hit:>11.0f} {used.other_threads * per_hit:>7.0f} {used.loop / result.seconds:>9.0%}"
        f" {used.load_generator / result.seconds:>8.0%} {idle:>5.0%}"
    )


def verdict(met: bool) -> str:
    return "  ok" if met else "  MISSED"


if __name__ == "__main__":
    main()
