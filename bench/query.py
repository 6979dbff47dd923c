"""Report benchmark: the dashboard's reports over a year of a busy site, ours vs hand-written SQL.

Loads 10 M hits for one site over a year (plus four smaller sites, one with 1 M hits) into the embedded
DuckDB store with the synthetic traffic generator, then times, over many repetitions, the reports a
dashboard shows for the last 30 days: totals (and of one page, as a filter asks); pageviews by day; top pages;
top referrers; countries; browsers; unique visitors by day and by month (the chart); exit pages; an event's
conversions; and the chart's pageviews by day and unique visitors by month for a site owner in India (a zone
half an hour off UTC). The others are in New York time. For each it prints p50/p95 of Leadline's query
layer and of the same answer written by hand directly in DuckDB SQL (the answers are checked equal), their
ratio, bytes per hit on disk, and how the p50s grow from the 1 M-hit site to the 10 M-hit one.
Then it compacts every closed day (the store's background job, run to the end, as if today were the day after
the data's last: settled days older than COLD_AFTER_DAYS go to the cold tier's Parquet files,
store/events/duckdb_cold.py) and measures again: bytes per hit (the cold files included), the longest the store
was held for one day, and the reports, whose answers must not change.
Targets: p50 <= 100 ms per report, ratio <= 1.3, growth <= 1.5x from the mid site to the big one (ten times
its hits), <= 12 bytes per hit (issue 14) after compaction;
exits 1 when one is missed. After compaction it also times the same reports over the last 12 months and
over all time (target p50 <= 200 ms each, issue 14), beside the same statement without rollups (every hit
read, as before rollups existed), whose answer must be the same. Bytes per hit count the blocks in use:
blocks a compaction frees stay in the file (DuckDB reuses them for later hits, it does not shrink the
file), so the file size is printed beside. `--keep DIR` reuses a directory only when its load finished with
the same sizes (`bench-loaded.json`, written last, also says how long each site took to load): an interrupted
load would otherwise be measured as a whole one.

    .venv/bin/python bench/query.py [--big-hits 10000000] [--repetitions 30] [--keep DIR] [--no-compaction]
                                    [--hits-only-repetitions 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadline.config import Settings
from leadline.deployment import Deployment, build_deployment
from leadline.query.dialects import Params
from leadline.query.model import ReportQuery
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events.duckdb import DuckDBEventStore
from leadline.store.events.duckdb_cold import COLD_AFTER_DAYS
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig

TIMEZONE = "America/New_York"
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=365)
RANGE_DAYS = 30
TARGET_P50_MS = 100.0
TARGET_RATIO = 1.3
TARGET_GROWTH = 1.5  # a report's p50 on the big site over its p50 on the mid site, a tenth of its hits (issue 14)
TARGET_BYTES_PER_HIT = 12.0
TARGET_LONG_RANGE_P50_MS = 200.0
LOADED_MARK = "bench-loaded.json"  # written into the data directory when every site is loaded
LONG_RANGES = {"last 12 months": 365, "all time": None}  # days before END, or no date_from
LONG_RANGE_REPETITIONS = 10


@dataclass(frozen=True)
class Report:
    name: str
    params: dict[str, str]
    hand_sql: str  # the same answer written directly for DuckDB; ? are (site, start, end) as described below


SESSION_START = "make_timestamp(CAST(session_id AS BIGINT) * 1000000)"
PAGEVIEWS_IN_RANGE = "site_id = $site AND kind = 1 AND timestamp >= $start AND timestamp < $end"
SESSIONS = """
    SELECT visitor_id, session_id, count(*) FILTER (WHERE kind = 1) AS pageviews,
           (epoch_us(max(timestamp)) - epoch_us(min(timestamp))) / 1e6 AS duration,
           any_value({column}) FILTER (WHERE entry) AS entry
    FROM hits
    WHERE site_id = $site AND session_id >= $start_s AND session_id < $end_s
      AND timestamp >= $start AND timestamp < $end_plus_day
    GROUP BY visitor_id, session_id
"""


def top(column: str, metric: str) -> str:
    sessions = SESSIONS.format(column=column)
    if metric == "pageviews":
        return f"""
        WITH h AS (SELECT {column} AS k, count(*) AS pageviews, count(DISTINCT visitor_id) AS uniques FROM hits
                   WHERE site_id = $site AND kind = 1 AND timestamp >= $start AND timestamp < $end GROUP BY 1),
             s AS (SELECT entry AS k, count(*) AS visits FROM ({sessions}) WHERE pageviews > 0 GROUP BY 1)
        SELECT k, coalesce(pageviews, 0), coalesce(visits, 0), coalesce(uniques, 0)
        FROM h FULL OUTER JOIN s USING (k) ORDER BY 2 DESC, 1 LIMIT 10"""
    return f"""
        WITH h AS (SELECT {column} AS k, count(DISTINCT visitor_id) AS uniques FROM hits
                   WHERE site_id = $site AND kind = 1 AND timestamp >= $start AND timestamp < $end GROUP BY 1),
             s AS (SELECT entry AS k, count(*) AS visits FROM ({sessions}) WHERE pageviews > 0 GROUP BY 1)
        SELECT k, coalesce(visits, 0), coalesce(uniques, 0)
        FROM h FULL OUTER JOIN s USING (k) ORDER BY 2 DESC, 1 LIMIT 10"""


def uniques_by(unit: str, key_format: str, timezone: str = TIMEZONE) -> str:
    """Unique visitors by local `unit` (day or month), its key formatted as the report's date key."""
    return f"""
        SELECT strftime(date_trunc('{unit}', timezone('{timezone}', timestamp AT TIME ZONE 'UTC')), '{key_format}'),
               count(DISTINCT visitor_id)
        FROM hits WHERE {PAGEVIEWS_IN_RANGE} GROUP BY 1 ORDER BY 1"""


def pageviews_by_day(timezone: str = TIMEZONE) -> str:
    """Pageviews and visits by local day."""
    return f"""
        WITH h AS (SELECT date_trunc('day', timezone('{timezone}', timestamp AT TIME ZONE 'UTC')) AS day,
                          count(*) AS pageviews
                   FROM hits WHERE {PAGEVIEWS_IN_RANGE} GROUP BY 1),
             s AS (SELECT date_trunc('day', timezone('{timezone}', {SESSION_START} AT TIME ZONE 'UTC')) AS day,
                          count(*) AS visits
                   FROM ({SESSIONS.format(column="pathname")}) WHERE pageviews > 0 GROUP BY 1)
        SELECT strftime(day, '%Y-%m-%d'), coalesce(pageviews, 0), coalesce(visits, 0)
        FROM h FULL OUTER JOIN s USING (day) ORDER BY 1"""


# A zone whose midnights are half past a UTC hour: the site's owner in India sees the same dashboard.
KOLKATA = "Asia/Kolkata"

REPORTS = [
    Report(
        "totals",
        {"aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate"},
        f"""
        WITH s AS ({SESSIONS.format(column="pathname")})
        SELECT count(*) FILTER (WHERE pageviews > 0),
               (SELECT count(DISTINCT visitor_id) FROM hits WHERE {PAGEVIEWS_IN_RANGE}),
               (SELECT count(*) FROM hits WHERE {PAGEVIEWS_IN_RANGE}),
               avg(duration) FILTER (WHERE pageviews > 0),
               avg(CASE WHEN pageviews = 1 THEN 1.0 ELSE 0.0 END) FILTER (WHERE pageviews > 0)
        FROM s""",
    ),
    Report(
        "totals of one page",  # the dashboard's cards once a page is clicked (a filter)
        {
            "aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate",
            "filters": json.dumps([{"field": "pathname", "operator": "is", "value": "/pricing"}]),
        },
        f"""
        WITH s AS ({SESSIONS.format(column="pathname")})
        SELECT count(*) FILTER (WHERE pageviews > 0 AND entry = '/pricing'),
               (SELECT count(DISTINCT visitor_id) FROM hits WHERE {PAGEVIEWS_IN_RANGE} AND pathname = '/pricing'),
               (SELECT count(*) FROM hits WHERE {PAGEVIEWS_IN_RANGE} AND pathname = '/pricing'),
               avg(duration) FILTER (WHERE pageviews > 0 AND entry = '/pricing'),
               avg(CASE WHEN pageviews = 1 THEN 1.0 ELSE 0.0 END) FILTER (WHERE pageviews > 0 AND entry = '/pricing')
        FROM s""",
    ),
    Report("pageviews by day", {"aggregates": "pageviews,visits", "date_grouping": "day"}, pageviews_by_day()),
    Report(
        "top pages",
        {
            "aggregates": "pageviews,visits,uniques",
            "field_grouping": "pathname",
            "sort_by": "pageviews:desc",
            "limit": "10",
        },
        top("pathname", "pageviews"),
    ),
    Report(
        "top referrers",
        {
            "aggregates": "visits,uniques",
            "field_grouping": "referrer_hostname",
            "sort_by": "visits:desc",
            "limit": "10",
        },
        top("referrer_hostname", "visits"),
    ),
    Report(
        "countries",
        {"aggregates": "visits,uniques", "field_grouping": "country_code", "sort_by": "visits:desc", "limit": "10"},
        top("country_code", "visits"),
    ),
    Report(
        "browsers",
        {"aggregates": "visits,uniques", "field_grouping": "browser", "sort_by": "visits:desc", "limit": "10"},
        top("browser", "visits"),
    ),
    Report(
        "unique visitors by day",  # the dashboard's chart up to three months
        {"aggregates": "uniques", "date_grouping": "day"},
        uniques_by("day", "%Y-%m-%d"),
    ),
    Report(
        "unique visitors by month",  # the dashboard's chart beyond three months
        {"aggregates": "uniques", "date_grouping": "month"},
        uniques_by("month", "%Y-%m"),
    ),
    Report(
        "pageviews by day, India",
        {"aggregates": "pageviews,visits", "date_grouping": "day", "timezone": KOLKATA},
        pageviews_by_day(KOLKATA),
    ),
    Report(
        "unique visitors by month, India",
        {"aggregates": "uniques", "date_grouping": "month", "timezone": KOLKATA},
        uniques_by("month", "%Y-%m", KOLKATA),
    ),
    Report(
        "exit pages",
        {"aggregates": "visits", "field_grouping": "exit_pathname", "sort_by": "visits:desc", "limit": "10"},
        """
        WITH s AS (
            SELECT count(*) FILTER (WHERE kind = 1) AS pageviews,
                   arg_max(pathname, (timestamp, pathname)) FILTER (WHERE kind = 1) AS exit_page
            FROM hits
            WHERE site_id = $site AND session_id >= $start_s AND session_id < $end_s
              AND timestamp >= $start AND timestamp < $end_plus_day
            GROUP BY visitor_id, session_id)
        SELECT exit_page, count(*) FROM s WHERE pageviews > 0 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10""",
    ),
    Report(
        "event conversions",
        {"entity": "event", "entity_name": "Purchase", "aggregates": "conversions,unique_conversions,value"},
        """
        SELECT count(*), count(DISTINCT visitor_id), coalesce(sum(value), 0) FROM hits
        WHERE site_id = $site AND kind = 2 AND event_id = $event AND timestamp >= $start AND timestamp < $end""",
    ),
]


def report_query(report: Report, site_id: str, start: int, end: int) -> ReportQuery:
    """`report` over [start, end] (Unix seconds, inclusive) of a site, as `/v1/aggregations` would parse it."""
    params = {
        "entity": "pageview",
        "entity_id": site_id,
        "timezone": TIMEZONE,
        "date_from": str(start),
        "date_to": str(end),
        **report.params,
    }
    if params["entity"] == "event":
        params |= {"site_id": site_id}
    return parse_report_query(params, TIMEZONE)


def hand_params(sql: str, site_id: str, event_id: str, start: int, end: int) -> tuple[str, Params]:
    """Named placeholders of the hand-written SQL turned into DuckDB's positional ones."""
    values = {
        "$site": site_id,
        "$event": event_id,
        "$start_s": start,
        "$end_s": end,
        "$start": datetime.fromtimestamp(start, UTC).replace(tzinfo=None),
        "$end": datetime.fromtimestamp(end, UTC).replace(tzinfo=None),
        "$end_plus_day": datetime.fromtimestamp(end + 86400, UTC).replace(tzinfo=None),
    }
    params = Params("qmark")
    out = []
    index = 0
    while index < len(sql):
        for name in sorted(values, key=len, reverse=True):
            if sql.startswith(name, index):
                out.append(params.add(values[name], ""))
                index += len(name)
                break
        else:
            out.append(sql[index])
            index += 1
    return "".join(out), params


def timed(function: Callable[[], object], repetitions: int) -> tuple[list[float], object]:
    ((times, result),) = timed_in_turn([function], repetitions)
    return times, result


def timed_in_turn(functions: list[Callable[[], object]], repetitions: int) -> list[tuple[list[float], object]]:
    """Each function's times (ms) and answer, the functions called in turn within every repetition: figures to
    be compared with each other then meet the same moments of the machine, not one a quiet minute, one a busy one."""
    results = [function() for function in functions]  # warm-up (and the answers)
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repetitions):
        for function, kept in zip(functions, times, strict=True):
            started = time.perf_counter()
            function()
            kept.append((time.perf_counter() - started) * 1000)
    return list(zip(times, results, strict=True))


def as_numbers(rows: object) -> list[list[object]]:
    """Rows of either side as lists of rounded numbers and strings, for comparison."""
    converted = []
    for row in rows if isinstance(rows, list) else []:
        values = list(row.values()) if isinstance(row, dict) else list(row)
        cells: list[object] = []
        for value in values:
            try:
                cells.append(round(float(value), 2))
            except (TypeError, ValueError):
                cells.append(value)
        converted.append(cells)
    return converted


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


Timings = dict[str, tuple[float, float, float, float]]
Answers = dict[str, list[list[object]]]


def run_reports(
    deployment: Deployment, site_ids: tuple[str, str], repetitions: int, answers: Answers, missed: list[str]
) -> tuple[Timings, Timings]:
    """p50/p95 of ours and of the hand-written SQL per report, on each of two sites (the big one, the mid one),
    the four timed in turn (so the growth from one site to the other compares like moments); each report's answer
    goes into `answers`, and one that differs from the hand-written SQL's into `missed`."""
    end = int(END.timestamp()) - 1
    start = end + 1 - RANGE_DAYS * 86400
    results: tuple[Timings, Timings] = ({}, {})
    events = [deployment.metadata.events.find_by_name(site_id, "Purchase") for site_id in site_ids]
    event_ids = [event.id if event else "" for event in events]
    for report in REPORTS:
        functions: list[Callable[[], object]] = []
        for site_id, event_id in zip(site_ids, event_ids, strict=True):
            query = report_query(report, site_id, start, end)
            sql, sql_params = hand_params(report.hand_sql, site_id, event_id, start, end + 1)

            def ours_once(query: ReportQuery = query) -> object:
                return run_report(query, deployment.event_store, deployment.metadata)

            def hand_once(sql: str = sql, params: Params = sql_params) -> object:
                return deployment.event_store.fetch(sql, params)

            functions += [ours_once, hand_once]
        measured = timed_in_turn(functions, repetitions)
        for index, site_id in enumerate(site_ids):
            (ours_times, ours), (hand_times, hand) = measured[2 * index : 2 * index + 2]
            if as_numbers(ours) != as_numbers(hand):
                print(f"  ! {report.name}: answers differ\n    ours {ours}\n    hand {hand}")
                missed.append(f"{report.name} differs from the hand-written SQL's answer")
            answers[f"{site_id} {report.name}"] = as_numbers(ours)
            results[index][report.name] = (
                statistics.median(ours_times),
                percentile(ours_times, 0.95),
                statistics.median(hand_times),
                percentile(hand_times, 0.95),
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--big-hits", type=int, default=10_000_000)
    parser.add_argument("--repetitions", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="reuse (or create) the data directory here")
    parser.add_argument("--no-compaction", action="store_true", help="measure the store as loaded, no compaction")
    parser.add_argument(
        "--hits-only-repetitions",
        type=int,
        default=3,
        help="times each long-range report is also read from every hit, for comparison (0: not at all; at 100 M "
        "hits one such read takes seconds)",
    )
    args = parser.parse_args()

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # a long run's log shows each line
    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="leadline-query-bench-"))
    settings = Settings(data_dir=data_dir, log_level="warning")
    deployment = build_deployment(settings)
    account = deployment.metadata.accounts.find_by_email("bench@example.com")
    sizes = {"big": args.big_hits, "mid": args.big_hits // 10, "small": 300_000, "smaller": 100_000, "tiny": 30_000}
    mark = data_dir / LOADED_MARK
    if account is None:
        account = deployment.metadata.accounts.create("Bench", "bench@example.com", TIMEZONE)
        load_seconds = {}
        for name, hits in sizes.items():
            site = deployment.metadata.sites.create(
                account.id, {"name": name, "multi_domain": True, "multi_domain_option": "combined"}
            )
            started = time.perf_counter()
            loaded = load_traffic(
                deployment,
                TrafficConfig(site_id=site.id, start=START, end=END, seed=name, total_hits=hits, timezone=TIMEZONE),
            )
            load_seconds[name] = round(time.perf_counter() - started, 1)
            print(
                f"loaded {loaded.stored:>10,} hits for {name:<8} in {load_seconds[name]:6.1f} s "
                f"({loaded.requests_per_second:,.0f}/s)"
            )
        deployment.close()
        mark.write_text(json.dumps({"sizes": sizes, "load_seconds": load_seconds}))
        deployment = build_deployment(settings)
    else:
        check_kept_load(mark, sizes)
    sites = {site.name: site.id for site in deployment.metadata.sites.list_all(account.id)}
    stored = sum(deployment.event_store.count_hits(site_id) for site_id in sites.values())
    missed: list[str] = []

    bytes_before = print_size(deployment, data_dir, stored, "before compaction", missed, gate=args.no_compaction)
    answers_before: Answers = {}
    before = run_reports(deployment, (sites["big"], sites["mid"]), args.repetitions, answers_before, missed)
    print_reports("before compaction", *before, sizes["mid"], missed if args.no_compaction else [])
    if not args.no_compaction:
        compact(deployment, stored)
        bytes_after = print_size(deployment, data_dir, stored, "after compaction", missed, gate=True)
        answers_after: Answers = {}
        after = run_reports(deployment, (sites["big"], sites["mid"]), args.repetitions, answers_after, missed)
        print_reports("after compaction", *after, sizes["mid"], missed)
        run_long_ranges(deployment, sites["big"], args.hits_only_repetitions, missed)
        if answers_after != answers_before:
            missed.append("answers changed by compaction")
        print(f"bytes per hit: {bytes_before:.1f} before, {bytes_after:.1f} after compaction")
    deployment.close()
    if args.keep is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    if missed:
        print("\ntargets missed: " + "; ".join(missed))
        sys.exit(1)


def check_kept_load(mark: Path, sizes: dict[str, int]) -> None:
    """Exit with a message unless a kept directory holds a finished load of these sizes: a load that was
    interrupted, or one of other sizes, would be measured as if it were the one asked for."""
    if not mark.exists():
        raise SystemExit(f"{mark.parent} holds a load that did not finish (no {LOADED_MARK}): remove it, run again")
    kept = json.loads(mark.read_text())
    if kept["sizes"] != sizes:
        raise SystemExit(f"{mark.parent} holds other sizes ({kept['sizes']}), not {sizes}")
    print(
        "reusing the load of "
        + ", ".join(f"{name} in {seconds:,.1f} s" for name, seconds in kept["load_seconds"].items())
    )


def print_size(
    deployment: Deployment, data_dir: Path, stored: int, moment: str, missed: list[str], *, gate: bool
) -> float:
    deployment.event_store.fetch("CHECKPOINT", Params("qmark"))
    ((block_size, used_blocks),) = deployment.event_store.fetch(
        "SELECT block_size, used_blocks FROM pragma_database_size()", Params("qmark")
    )
    store = deployment.event_store
    cold = store.cold_bytes() if isinstance(store, DuckDBEventStore) else 0
    in_use = int(block_size) * int(used_blocks) + cold
    file_size = (data_dir / "events.duckdb").stat().st_size
    per_hit = in_use / stored
    met = per_hit <= TARGET_BYTES_PER_HIT
    print(
        f"\n{moment}: {stored:,} hits in {in_use / 1e6:,.0f} MB in use (blocks of the file, and "
        f"{cold / 1e6:,.0f} MB of cold files): {per_hit:.1f} bytes per hit "
        f"(target <= {TARGET_BYTES_PER_HIT:g}: {'met' if met else 'MISSED'}); file {file_size / 1e6:,.0f} MB "
        f"({(file_size + cold) / stored:.1f} bytes per hit with the cold files)\n"
    )
    if gate and not met:
        missed.append(f"{per_hit:.1f} bytes per hit > {TARGET_BYTES_PER_HIT:g}")
    return per_hit


def compact(deployment: Deployment, stored: int) -> None:
    """The compaction job, run to the end over every closed day, while a reader measures its waits."""
    store = deployment.event_store
    if not isinstance(store, DuckDBEventStore):
        raise SystemExit("the bench measures the embedded DuckDB store")
    waits: list[float] = []
    done = threading.Event()

    def reader() -> None:  # a dashboard's cheapest query, again and again: how long it waits behind compaction
        while not done.is_set():
            started = time.perf_counter()
            store.fetch("SELECT 1", Params("qmark"))
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(0.01)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    started = time.perf_counter()
    # Today is END's day for the dashboard the bench times: its last 30 days stay in the tables.
    run = store.compact_closed_days(END.date(), frozen_before=END.date() - timedelta(days=COLD_AFTER_DAYS))
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    print(
        f"compaction: {run.days:,} days, {run.hits:,} of {stored:,} hits, then {run.frozen_rows:,} rows into "
        f"{run.frozen_files} cold files, in {elapsed:.1f} s; longest transaction "
        f"{run.longest_transaction_seconds * 1000:.0f} ms (on its own connection); meanwhile a reader of the store "
        f"waited p50 {percentile(waits, 0.5):.1f} ms, p99 {percentile(waits, 0.99):.1f} ms, max {max(waits):.0f} ms "
        f"({len(waits)} reads)"
    )


def run_long_ranges(deployment: Deployment, site_id: str, hits_only_repetitions: int, missed: list[str]) -> None:
    """The reports over long windows, as run_report answers them (rollups for the settled middle) and by the
    statement that reads every hit instead; the answers must agree."""
    end = int(END.timestamp()) - 1
    store = deployment.event_store
    print(
        f"{'report, after compaction':<40} {'range':<15} {'p50 ms':>8} {'p95 ms':>8} {'hits only p50':>14}"
        f" {'speed-up':>9}"
    )
    for report in REPORTS:
        for range_name, days in LONG_RANGES.items():
            query = report_query(report, site_id, end + 1 - days * 86400 if days else 0, end)
            if days is None:
                query = dataclasses.replace(query, date_from=None)

            def ours_once(query: ReportQuery = query) -> object:
                return run_report(query, store, deployment.metadata)

            def hits_only_once(query: ReportQuery = query) -> object:
                return run_report(query, store, deployment.metadata, rollups=False)

            ours_times, ours = timed(ours_once, LONG_RANGE_REPETITIONS)
            p50 = statistics.median(ours_times)
            line = f"{report.name:<40} {range_name:<15} {p50:>8.1f} {percentile(ours_times, 0.95):>8.1f}"
            if hits_only_repetitions > 0:
                hits_times, hits = timed(hits_only_once, hits_only_repetitions)
                hits50 = statistics.median(hits_times)
                line += f" {hits50:>14.1f} {hits50 / p50:>8.1f}x"
                if as_numbers(ours) != as_numbers(hits):
                    print(f"  ! {report.name} ({range_name}): answers differ\n    ours {ours}\n    hits {hits}")
                    missed.append(f"{report.name} ({range_name}) differs from the hits-only answer")
            print(line)
            if p50 > TARGET_LONG_RANGE_P50_MS:
                missed.append(f"{report.name} p50 {p50:.1f} ms > {TARGET_LONG_RANGE_P50_MS:g} ({range_name})")
    print(f"target: p50 <= {TARGET_LONG_RANGE_P50_MS:g} ms\n")


def print_reports(moment: str, big: Timings, mid: Timings, mid_hits: int, missed: list[str]) -> None:
    """The reports' p50 and p95 beside the hand-written SQL's, and how they grew from the mid-sized site (a tenth
    of the hits) to the big one, each gated by its target when `missed` is given."""
    mid_p50 = f"p50 @{mid_hits / 1e6:g}M"
    print(
        f"{'report (last 30 days), ' + moment:<40} {'p50 ms':>8} {'p95 ms':>8} {'hand p50':>9} {'hand p95':>9}"
        f" {'ratio':>6} {mid_p50:>8} {'growth':>7}"
    )
    for name, (p50, p95, hand50, hand95) in big.items():
        small50 = mid[name][0]
        ratio = p50 / hand50
        print(
            f"{name:<40} {p50:>8.1f} {p95:>8.1f} {hand50:>9.1f} {hand95:>9.1f} {ratio:>6.2f}"
            f" {small50:>8.1f} {p50 / small50:>6.1f}x"
        )
        if p50 > TARGET_P50_MS:
            missed.append(f"{name} p50 {p50:.1f} ms > {TARGET_P50_MS:g} ({moment})")
        if ratio > TARGET_RATIO:
            missed.append(f"{name} ratio {ratio:.2f} > {TARGET_RATIO:g} ({moment})")
        if p50 / small50 > TARGET_GROWTH:
            missed.append(f"{name} grew {p50 / small50:.1f}x > {TARGET_GROWTH:g}x with 10x the hits ({moment})")
    print(f"targets: p50 <= {TARGET_P50_MS:g} ms, ratio <= {TARGET_RATIO:g}, growth <= {TARGET_GROWTH:g}x\n")


if __name__ == "__main__":
    main()
