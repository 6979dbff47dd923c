"""Soak: minutes of mixed load at about 80 % of one worker's measured capacity, sampled every 10 seconds.

Starts `leadline serve` (one worker, embedded stores) in a scratch directory, measures how many collector
hits per second it takes at full speed, then holds the collector at `--load` (default 0.8) of that rate
with wrk, while a second process of ours sends reports, REST management calls and Integration API
requests at a steady pace. Every `--window` seconds it samples the server's RSS, open files, spool size
and the p99 latency of each kind of request.

At the end it stops the server, opens the event store and checks that every acknowledged (202) hit was
stored exactly once: each collector request names a unique path, so stored rows, distinct paths and
acknowledgements can be compared. Targets (exit 1 when one is missed):

- no 5xx answer of any kind, no connection errors;
- every acknowledged hit stored, none twice (rows == distinct paths >= acknowledged; the surplus is only
  requests wrk abandoned in flight at the end of a window, at most `connections` per window);
- memory flat after warm-up: the RSS less the embedded store's cache of its file (read from /metrics; it grows
  with the data, up to DuckDB's memory limit), taken at each minute's lowest sample (reports in flight borrow
  working memory and give it back), rises by at most `--max-slope` MB per hour after the first `--warmup` seconds.

    .venv/bin/python bench/soak.py [--minutes 10] [--load 0.8] [--connections 32]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import LiveServer, start_server

from leadline.traffic.agents import DESKTOP_AGENTS, MOBILE_AGENTS, TABLET_AGENTS

HOSTNAME = "shop.example"
PAGES = ["", "pricing", "docs", "blog", "about", "signup"]

# One request per call of request(): a unique path (so a stored hit can be told from a duplicate), a
# visitor from a pool of --visitors (each with one address and user agent), and every twentieth a custom event.
# delay() spaces a connection's requests so that all connections together keep the rate asked.
LUA = r"""
local agents = %(agents)s
local site = "%(site)s"
local run = "%(run)s"
local delay_ms = %(delay_ms)f
local visitors = %(visitors)d
local counter = 0
local threads = {}

setup = function(thread)
  table.insert(threads, thread)
end

request = function()
  counter = counter + 1
  local body
  if counter %% 20 == 0 then
    body = '{"site":"' .. site .. '","url":"https://%(hostname)s/' .. run .. '/' .. counter ..
      '","name":"Signup","value":1999}'
  else
    body = '{"site":"' .. site .. '","url":"https://%(hostname)s/' .. run .. '/' .. counter ..
      '","referrer":"https://news.ycombinator.com/"}'
  end
  local headers = {}
  headers["Content-Type"] = "text/plain"
  -- A pool of returning visitors (one address and one browser each), as on a real site: session state
  -- reaches its steady size instead of growing with every request.
  local visitor = (counter * 7919) %% visitors
  headers["User-Agent"] = agents[(visitor %% #agents) + 1]
  headers["X-Forwarded-For"] = "81." .. (math.floor(visitor / 65536) %% 256) .. "." ..
    (math.floor(visitor / 256) %% 256) .. "." .. (visitor %% 256)
  return wrk.format("POST", "/api/event", headers, body)
end

delay = function()
  return delay_ms
end

-- Counted per thread in globals: done() runs in another Lua state and reads them with thread:get().
accepted, client_errors, server_errors = 0, 0, 0
response = function(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  else
    client_errors = client_errors + 1
  end
end

done = function(summary, latency, requests)
  local ok, bad, failed = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok = ok + thread:get("accepted")
    bad = bad + thread:get("client_errors")
    failed = failed + thread:get("server_errors")
  end
  io.write(string.format("RESULT %%d %%d %%f %%d %%d %%s\n", summary.requests, summary.duration,
    latency:percentile(99), summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, "202:" .. ok .. ",400:" .. bad .. ",500:" .. failed))
end
"""


@dataclass
class Window:
    """One sampling window of wrk: its collector figures and the server's state at its end."""

    started: float
    seconds: float
    requests: int
    p99_ms: float
    socket_errors: int
    statuses: dict[int, int]
    rss_mb: float = 0.0
    store_mb: float = 0.0  # of the RSS: the embedded event store's cache of its file (grows with the data)
    open_files: int = 0
    spool_kb: float = 0.0
    other_p99_ms: dict[str, float] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


METRICS_TOKEN = secrets.token_hex(16)  # this run's only


def store_memory_mb(base_url: str) -> float:
    """The server's own figure of what its embedded event store holds in memory (DuckDB's buffer manager)."""
    answer = httpx.get(base_url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10)
    for line in answer.text.splitlines():
        if line.startswith("leadline_event_store_memory_bytes "):
            return float(line.split()[1]) / 1e6
    return 0.0


def open_files(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def spool_kb(data_dir: Path) -> float:
    spool = data_dir / "spool"
    return sum(path.stat().st_size for path in spool.rglob("*") if path.is_file()) / 1024 if spool.exists() else 0.0


def run_wrk(
    base_url: str, script: Path, seconds: float, connections: int
) -> tuple[int, float, float, int, dict[int, int]]:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "10s", "-s", str(script), base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) (\d+) (\d+) ?(\S*)", output)
    if match is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests, duration_us, p99_us, socket_errors, timeouts, status_text = match.groups()
    statuses = {int(s): int(c) for s, c in (part.split(":") for part in status_text.split(",") if part)}
    return int(requests), int(duration_us) / 1e6, float(p99_us) / 1000, int(socket_errors) + int(timeouts), statuses


def write_script(path: Path, site_id: str, run: str, delay_ms: float, visitors: int) -> None:
    agents = [agent for agents in (DESKTOP_AGENTS, MOBILE_AGENTS, TABLET_AGENTS) for agent, _ in agents]
    path.write_text(
        LUA
        % {
            "agents": "{" + ",".join(json.dumps(agent) for agent in agents) + "}",
            "site": site_id,
            "run": run,
            "delay_ms": delay_ms,
            "visitors": visitors,
            "hostname": HOSTNAME,
        }
    )


class OtherTraffic(threading.Thread):
    """Reports, REST management and the Integration API at a steady pace; latencies kept per window."""

    def __init__(self, server: LiveServer, key: str, site_id: str, client_id: str, client_secret: str) -> None:
        super().__init__(daemon=True)
        self._server, self._key, self._site_id = server, key, site_id
        self._client_id, self._client_secret = client_id, client_secret
        self._halt = threading.Event()
        self._lock = threading.Lock()
        self._latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.errors: list[str] = []

    def stop(self) -> None:
        self._halt.set()

    def take_p99(self) -> dict[str, float]:
        with self._lock:
            latencies, self._latencies = self._latencies, defaultdict(list)
        return {kind: percentile(values, 0.99) for kind, values in latencies.items()}

    def _record(self, kind: str, response: httpx.Response, seconds: float) -> None:
        with self._lock:
            self._latencies[kind].append(seconds * 1000)
            self.statuses[kind][response.status_code] += 1

    def _timed(self, kind: str, send: httpx.Client, method: str, path: str, **kwargs: object) -> httpx.Response:
        started = time.perf_counter()
        response = send.request(method, path, **kwargs)  # type: ignore[arg-type]
        self._record(kind, response, time.perf_counter() - started)
        return response

    def run(self) -> None:
        rng = random.Random(3)
        rest = self._server.client(self._key)
        anonymous = self._server.client()
        token = ""
        groupings = ["pathname", "referrer_hostname", "country_code", "browser", "device_type"]
        tick = 0
        while not self._halt.wait(0.25):  # four rounds a second
            tick += 1
            try:
                # Reports: two a second, over today's data, grouped by a field or by day.
                for _ in range(2):
                    params: dict[str, str] = {
                        "entity": "pageview",
                        "entity_id": self._site_id,
                        "aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate",
                    }
                    if rng.random() < 0.5:
                        params |= {"field_grouping": rng.choice(groupings), "sort_by": "pageviews:desc", "limit": "10"}
                    else:
                        params |= {"date_grouping": "hour"}
                    if tick % 2:
                        self._timed("report", rest, "GET", "/v1/aggregations", params=params)
                        break
                # REST management: a milestone made and deleted, the site list.
                created = self._timed(
                    "management",
                    rest,
                    "POST",
                    f"/v1/sites/{self._site_id}/milestones",
                    data={"name": f"m{tick}", "milestone_date": "2026-01-01"},
                )
                if created.status_code == 200:
                    milestone = created.json()["id"]
                    self._timed("management", rest, "DELETE", f"/v1/sites/{self._site_id}/milestones/{milestone}")
                self._timed("management", rest, "GET", "/v1/sites")
                # Integration API: a token now and then, a GraphQL query each round.
                if not token or tick % 40 == 0:
                    answer = self._timed(
                        "integration",
                        anonymous,
                        "POST",
                        "/oauth2/token",
                        data={
                            "grant_type": "client_credentials",
                            "client_id": self._client_id,
                            "client_secret": self._client_secret,
                            "scope": f"{self._server.base_url}/api/integrations",
                        },
                    )
                    token = answer.json().get("access_token", "") if answer.status_code == 200 else ""
                if token:
                    self._timed(
                        "integration",
                        anonymous,
                        "POST",
                        "/api/integrations",
                        json={"query": "{ listSubscribedDatasetMetadata { id datasetName } }"},
                        headers={"Authorization": f"Bearer {token}"},
                    )
            except httpx.HTTPError as error:
                self.errors.append(f"{type(error).__name__}: {error}")
        rest.close()
        anonymous.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) points, in MB per hour."""
    if len(points) < 2:
        return 0.0
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    if denominator == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / denominator * 3600


def count_stored(data_dir: Path, site_id: str) -> tuple[int, int]:
    """(rows, distinct paths) of the site's hits, read from the event store after the server stopped."""
    connection = duckdb.connect(str(data_dir / "events.duckdb"), read_only=True)
    try:
        row = connection.execute(
            "SELECT count(*), count(DISTINCT pathname) FROM hits WHERE site_id = ?", [site_id]
        ).fetchone()
    finally:
        connection.close()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--load", type=float, default=0.8, help="share of the measured capacity to hold")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--window", type=float, default=10, help="sampling window, seconds")
    parser.add_argument("--warmup", type=float, default=120, help="seconds left out of the memory slope")
    parser.add_argument("--visitors", type=int, default=50_000, help="distinct visitors in the traffic")
    parser.add_argument("--max-slope", type=float, default=50.0, help="largest RSS slope after warm-up, MB/hour")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed as the load generator: apt-get install wrk")

    scratch = Path(tempfile.mkdtemp(prefix="leadline-soak-"))
    data_dir = scratch / "data"
    server = start_server(
        data_dir,
        {
            "LEADLINE_CLIENT_IP_HEADER": "X-Forwarded-For",
            "LEADLINE_LOG_LEVEL": "warning",
            "LEADLINE_METRICS_TOKEN": METRICS_TOKEN,
            # The soak measures the server, not its per-key limits: the pace below stays far under these.
            "LEADLINE_REPORTS_RATE_LIMIT": "100000/minute",
            "LEADLINE_MANAGEMENT_RATE_LIMIT": "1000000/hour",
            "LEADLINE_INTEGRATIONS_RATE_LIMIT": "100000/minute",
        },
    )
    windows: list[Window] = []
    other: OtherTraffic | None = None
    try:
        account = server.new_account()
        site = server.new_site(account)
        key = server.new_key(account)
        issued = server.metadata.integration_clients.create(account.id, site.id, ("daily_pages",))

        script = scratch / "soak.lua"
        write_script(script, site.id, "warm", 0.0, args.visitors)
        _, _, _, _, warm_statuses = run_wrk(server.base_url, script, 3, args.connections)  # caches, salts, binding
        write_script(script, site.id, "capacity", 0.0, args.visitors)
        requests, seconds, p99, _, capacity_statuses = run_wrk(server.base_url, script, 10, args.connections)
        acknowledged_before = warm_statuses.get(202, 0) + capacity_statuses.get(202, 0)
        capacity = requests / seconds
        target = capacity * args.load
        print(f"capacity: {capacity:.0f} hits/s at full speed (p99 {p99:.1f} ms); holding {target:.0f} hits/s")

        other = OtherTraffic(server, key, site.id, issued.client.id, issued.secret)
        other.start()
        delay_ms = max(args.connections / target * 1000 - p99 / 4, 0.0)
        deadline = time.monotonic() + args.minutes * 60
        started = time.monotonic()
        index = 0
        print(
            f"{'t s':>6} {'hits/s':>8} {'p99 ms':>7} {'RSS MB':>7} {'store MB':>8} {'fds':>5} {'spool KB':>9} "
            f"{'report p99':>10} {'mgmt p99':>9} {'integ p99':>9} {'5xx':>4}"
        )
        while time.monotonic() < deadline:
            index += 1
            write_script(script, site.id, f"w{index}", delay_ms, args.visitors)
            window_start = time.monotonic() - started
            requests, seconds, p99, socket_errors, statuses = run_wrk(
                server.base_url, script, args.window, args.connections
            )
            window = Window(window_start, seconds, requests, p99, socket_errors, statuses)
            window.rss_mb = rss_mb(server.process.pid)
            window.store_mb = store_memory_mb(server.base_url)
            window.open_files = open_files(server.process.pid)
            window.spool_kb = spool_kb(data_dir)
            window.other_p99_ms = other.take_p99()
            windows.append(window)
            rate = requests / seconds
            print(
                f"{window_start:>6.0f} {rate:>8.0f} {p99:>7.1f} {window.rss_mb:>7.1f} {window.store_mb:>8.1f} "
                f"{window.open_files:>5} "
                f"{window.spool_kb:>9.0f} {window.other_p99_ms.get('report', 0):>10.1f} "
                f"{window.other_p99_ms.get('management', 0):>9.1f} {window.other_p99_ms.get('integration', 0):>9.1f} "
                f"{window.server_errors:>4}",
                flush=True,
            )
            # Steer the pause between a connection's requests toward the rate asked.
            if rate > 0:
                delay_ms = max(
                    delay_ms * (rate / target) + (args.connections / target - args.connections / rate) * 500, 0
                )
        other.stop()
        other.join(timeout=30)
        time.sleep(2)  # the flusher stores the last segment
    finally:
        if other is not None:
            other.stop()
        server.stop()

    rows, distinct = count_stored(data_dir, site.id)
    acknowledged = acknowledged_before + sum(window.accepted for window in windows)
    sent = sum(window.requests for window in windows)
    collector_5xx = sum(window.server_errors for window in windows)
    socket_errors = sum(window.socket_errors for window in windows)
    other_5xx = {
        kind: sum(count for status, count in statuses.items() if status >= 500)
        for kind, statuses in (other.statuses.items() if other else [])
    }
    other_counts = {kind: sum(statuses.values()) for kind, statuses in (other.statuses.items() if other else [])}
    steady = [(window.started, window.rss_mb) for window in windows if window.started >= args.warmup]
    slope = slope_per_hour(steady)
    # The embedded store's cache of the blocks it wrote grows with the data (bounded by DuckDB's memory limit):
    # what is left is the server's own memory, which must stay flat. Its samples also catch reports in flight,
    # whose working memory (up to ~150 MB on the growing table) is given back when they end: the baseline, each
    # minute's lowest sample, is what a leak would raise.
    own = [(window.started, window.rss_mb - window.store_mb) for window in windows if window.started >= args.warmup]
    own_slope = slope_per_hour(own)
    lowest: dict[int, tuple[float, float]] = {}
    for started, megabytes in own:
        minute = int(started // 60)
        if minute not in lowest or megabytes < lowest[minute][1]:
            lowest[minute] = (started, megabytes)
    baseline = sorted(lowest.values())
    baseline_slope = slope_per_hour(baseline)
    surplus_bound = args.connections * (len(windows) + 2)

    print()
    print(f"collector: {sent} answered in {len(windows)} windows; {acknowledged} acknowledged (202), warm-up included")
    client_errors = len(other.errors) if other else 0
    print(f"other requests: {dict(other_counts)}; their 5xx: {other_5xx}; client errors: {client_errors}")
    print(f"stored rows {rows}, distinct paths {distinct}")
    print(
        f"RSS: first {windows[0].rss_mb:.1f} MB, last {windows[-1].rss_mb:.1f} MB, slope after warm-up {slope:.1f} MB/h"
    )
    print(
        f"event store cache: first {windows[0].store_mb:.1f} MB, last {windows[-1].store_mb:.1f} MB; "
        f"RSS without it: slope after warm-up {own_slope:.1f} MB/h"
    )
    print(
        "baseline (each minute's lowest RSS without the store's cache): "
        + ", ".join(f"{megabytes:.0f}" for _, megabytes in baseline)
        + f" MB; slope {baseline_slope:.1f} MB/h"
    )
    p99s = [window.p99_ms for window in windows]
    print(f"collector p99 per window: median {statistics.median(p99s):.1f} ms, worst {max(p99s):.1f} ms")

    failures = []
    if collector_5xx or any(other_5xx.values()):
        failures.append(f"5xx answers: collector {collector_5xx}, others {other_5xx}")
    if socket_errors:
        failures.append(f"{socket_errors} connection errors or timeouts")
    if other is not None and other.errors:
        failures.append(f"client errors: {other.errors[:3]}")
    if rows != distinct:
        failures.append(f"hits stored twice: {rows - distinct} duplicate rows")
    if distinct < acknowledged:
        failures.append(f"acknowledged hits lost: {acknowledged - distinct}")
    if distinct - acknowledged > surplus_bound:
        failures.append(f"{distinct - acknowledged} stored hits were never acknowledged (bound {surplus_bound})")
    if len(baseline) >= 3 and baseline_slope > args.max_slope:
        failures.append(f"memory grows {baseline_slope:.1f} MB/h after warm-up (target <= {args.max_slope})")
    print(
        f"\ntargets: no 5xx; stored once (rows == distinct paths >= acknowledged); "
        f"baseline slope <= {args.max_slope} MB/h after {args.warmup:.0f} s"
    )
    shutil.rmtree(scratch, ignore_errors=True)
    if failures:
        print("MISSED: " + "; ".join(failures))
        sys.exit(1)
    print("all targets met")


if __name__ == "__main__":
    main()
