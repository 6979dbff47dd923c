"""Report benchmark on ClickHouse: bench/query.py's dashboard reports on a 2-shard cluster, ours vs hand-written SQL.

Loads the same synthetic sites as bench/query.py (one of `--big-hits`, one a tenth of it, three smaller) into
the ClickHouse event store, then times the same reports over the last 30 days through Leadline's query layer
and as hand-written ClickHouse SQL (answers checked equal), and prints bytes per hit on disk (system.parts,
every shard). Without `--events-url` it starts a throwaway 2-shard cluster of Debian's clickhouse-server 18.16
(as the tests do); with it, it uses yours (e.g. clickhouse://127.0.0.1:9000/leadline_bench?cluster=leadline).

    .venv/bin/python bench/query_clickhouse.py [--big-hits 10000000] [--repetitions 30] [--events-url URL]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.query.model import ReportQuery
from leadline.query.report import run_report
from leadline.store.events.base import Params
from leadline.store.events.clickhouse import ClickHouseEventStore
from leadline.store.events.clickhouse_connection import new_client
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from query import (  # bench/query.py, a sibling
    END,
    RANGE_DAYS,
    REPORTS,
    START,
    TIMEZONE,
    as_numbers,
    percentile,
    report_query,
    timed,
)

SECOND = "intDiv(timestamp, 1000000)"
PAGEVIEWS_IN_RANGE = "site_id = %(site)s AND kind = 1 AND timestamp >= %(start)s AND timestamp < %(end)s"
SESSIONS = """
    SELECT visitor_id, session_id, countIf(kind = 1) AS pageviews,
           (toInt64(max(timestamp)) - toInt64(min(timestamp))) / 1e6 AS duration,
           anyIf({column}, entry) AS entry
    FROM hits
    WHERE site_id = %(site)s AND session_id >= %(start_s)s AND session_id < %(end_s)s
      AND timestamp >= %(start)s AND timestamp < %(end_plus_day)s
    GROUP BY visitor_id, session_id
"""


def top(column: str, metric: str) -> str:
    sessions = SESSIONS.format(column=column)
    visits = f"SELECT entry AS k, count() AS visits FROM ({sessions}) WHERE pageviews > 0 GROUP BY k"
    if metric == "pageviews":
        return f"""
        SELECT k, pageviews, visits, uniques FROM
            (SELECT {column} AS k, count() AS pageviews, uniqExact(visitor_id) AS uniques FROM hits
             WHERE {PAGEVIEWS_IN_RANGE} GROUP BY k)
        ALL FULL OUTER JOIN ({visits}) USING (k) ORDER BY pageviews DESC, k LIMIT 10"""
    return f"""
        SELECT k, visits, uniques FROM
            (SELECT {column} AS k, uniqExact(visitor_id) AS uniques FROM hits WHERE {PAGEVIEWS_IN_RANGE} GROUP BY k)
        ALL FULL OUTER JOIN ({visits}) USING (k) ORDER BY visits DESC, k LIMIT 10"""


def local_day(seconds: str) -> str:
    return f"substring(toString(toStartOfDay(toDateTime({seconds}), '{TIMEZONE}'), '{TIMEZONE}'), 1, 10)"


# The same answers as bench/query.py's REPORTS, in that order, written by hand for ClickHouse (18.16 and later).
HAND_SQL = {
    "totals": f"""
        SELECT countIf(pageviews > 0),
               (SELECT uniqExact(visitor_id) FROM hits WHERE {PAGEVIEWS_IN_RANGE}),
               (SELECT count() FROM hits WHERE {PAGEVIEWS_IN_RANGE}),
               avgIf(duration, pageviews > 0), avgIf(pageviews = 1, pageviews > 0)
        FROM ({SESSIONS.format(column="pathname")})""",
    "pageviews by day": f"""
        SELECT day, pageviews, visits FROM
            (SELECT {local_day(SECOND)} AS day, count() AS pageviews FROM hits WHERE {PAGEVIEWS_IN_RANGE} GROUP BY day)
        ALL FULL OUTER JOIN
            (SELECT {local_day("session_id")} AS day, count() AS visits
             FROM ({SESSIONS.format(column="pathname")}) WHERE pageviews > 0 GROUP BY day)
        USING (day) ORDER BY day""",
    "top pages": top("pathname", "pageviews"),
    "top referrers": top("referrer_hostname", "visits"),
    "countries": top("country_code", "visits"),
    "browsers": top("browser", "visits"),
    "event conversions": """
        SELECT count(), uniqExact(visitor_id), sum(value) FROM hits
        WHERE site_id = %(site)s AND kind = 2 AND event_id = %(event)s
          AND timestamp >= %(start)s AND timestamp < %(end)s""",
}


def hand_params(site_id: str, event_id: str, start: int, end: int) -> Params:
    microseconds = 1_000_000
    return Params(
        "pyformat",
        named={
            "site": site_id,
            "event": event_id,
            "start_s": start,
            "end_s": end,
            "start": start * microseconds,
            "end": end * microseconds,
            "end_plus_day": (end + 86400) * microseconds,
        },
    )


def run_reports(deployment: Deployment, site_id: str, repetitions: int) -> dict[str, tuple[float, float, float, float]]:
    end = int(END.timestamp()) - 1
    start = end + 1 - RANGE_DAYS * 86400
    event = deployment.metadata.events.find_by_name(site_id, "Purchase")
    sql_params = hand_params(site_id, event.id if event else "", start, end + 1)
    results = {}
    # Only the reports written by hand for ClickHouse: bench/query.py has gained others since (a KeyError here).
    for report in (report for report in REPORTS if report.name in HAND_SQL):
        query = report_query(report, site_id, start, end)

        def ours_once(query: ReportQuery = query) -> object:
            return run_report(query, deployment.event_store, deployment.metadata)

        def hand_once(sql: str = HAND_SQL[report.name]) -> object:
            return deployment.event_store.fetch(sql, sql_params)

        ours_times, ours = timed(ours_once, repetitions)
        hand_times, hand = timed(hand_once, repetitions)
        if as_numbers(ours) != as_numbers(hand):
            print(f"  ! {report.name}: answers differ\n    ours {ours}\n    hand {hand}")
        results[report.name] = (
            statistics.median(ours_times),
            percentile(ours_times, 0.95),
            statistics.median(hand_times),
            percentile(hand_times, 0.95),
        )
    return results


def bytes_on_disk(store: ClickHouseEventStore) -> int:
    """Compressed bytes of the hits' active parts on every server."""
    total = 0
    for server in store.servers:
        client = new_client(server)
        total += int(
            client.execute(
                "SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = %(database)s "
                "AND table = %(table)s",
                {"database": store.layout.database, "table": store.layout.hits_local},
            )[0][0]
        )
        client.disconnect()
    return total


def column_sizes(store: ClickHouseEventStore) -> list[tuple[str, int]]:
    """Compressed bytes per column over every server, largest first."""
    sizes: dict[str, int] = {}
    for server in store.servers:
        client = new_client(server)
        for column, size in client.execute(
            "SELECT name, data_compressed_bytes FROM system.columns WHERE database = %(database)s "
            "AND table = %(table)s",
            {"database": store.layout.database, "table": store.layout.hits_local},
        ):
            sizes[column] = sizes.get(column, 0) + int(size)
        client.disconnect()
    return sorted(sizes.items(), key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-hits", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--events-url", help="an existing ClickHouse database (default: a throwaway 2-shard cluster)")
    args = parser.parse_args()

    cluster = None
    if args.events_url is None:
        from tests.servers.clickhouse import ClickHouseCluster

        cluster = ClickHouseCluster(Path(tempfile.mkdtemp(prefix="leadline-clickhouse-bench-")))
        cluster.start()
    events_url = args.events_url if cluster is None else cluster.new_url()
    data_dir = Path(tempfile.mkdtemp(prefix="leadline-query-bench-"))
    try:
        settings = Settings(data_dir=data_dir, events_url=events_url, log_level="warning")
        deployment = build_deployment(settings)
        account = deployment.metadata.accounts.create("Bench", "bench@example.com", TIMEZONE)
        sizes = {"big": args.big_hits, "mid": args.big_hits // 10, "small": 300_000, "smaller": 100_000, "tiny": 30_000}
        for name, hits in sizes.items():
            site = deployment.metadata.sites.create(
                account.id, {"name": name, "multi_domain": True, "multi_domain_option": "combined"}
            )
            started = time.perf_counter()
            loaded = load_traffic(
                deployment,
                TrafficConfig(site_id=site.id, start=START, end=END, seed=name, total_hits=hits, timezone=TIMEZONE),
            )
            print(
                f"loaded {loaded.stored:>10,} hits for {name:<8} in {time.perf_counter() - started:6.1f} s "
                f"({loaded.stored / (time.perf_counter() - started):,.0f} rows/s)"
            )
        sites = {site.name: site.id for site in deployment.metadata.sites.list_all(account.id)}
        store = deployment.event_store
        if not isinstance(store, ClickHouseEventStore):
            raise SystemExit(f"not a ClickHouse events URL: {events_url}")
        for server in store.servers:  # merged parts, as a store that has run a while has them
            client = new_client(server)
            client.execute(f"OPTIMIZE TABLE {store.layout.hits_local} FINAL")
            client.disconnect()
        stored = sum(store.count_hits(site_id) for site_id in sites.values())
        size = bytes_on_disk(store)
        servers = len(store.servers)
        print(f"\n{stored:,} hits in {size / 1e6:,.0f} MB on {servers} servers: {size / stored:.1f} bytes per hit")
        for column, column_bytes in column_sizes(store)[:8]:
            print(f"  {column:<20} {column_bytes / stored:5.1f} bytes per hit")
        print()

        big = run_reports(deployment, sites["big"], args.repetitions)
        mid = run_reports(deployment, sites["mid"], args.repetitions)
        print(
            f"{'report (last 30 days)':<20} {'p50 ms':>8} {'p95 ms':>8} {'hand p50':>9} {'hand p95':>9} {'ratio':>6}"
            f" {'p50 @1/10':>9} {'growth':>7}"
        )
        for name, (p50, p95, hand50, hand95) in big.items():
            small50 = mid[name][0]
            print(
                f"{name:<20} {p50:>8.1f} {p95:>8.1f} {hand50:>9.1f} {hand95:>9.1f} {p50 / hand50:>6.2f}"
                f" {small50:>9.1f} {p50 / small50:>6.1f}x"
            )
        deployment.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
