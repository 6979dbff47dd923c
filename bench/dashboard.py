"""Dashboard benchmark: a complete site dashboard for the last 30 days of bench/query.py's 10 M-hit site.

Loads (or reuses, with --keep; a directory kept by bench/query.py works too) the big site of bench/query.py,
compacts its closed days as the background job would (sessions of days older than 3 days are settled; days
older than 35 before the data's last kept as cold files), starts a real `leadline serve` on it, makes the
site's dashboard public (the shared view renders exactly the owner's page, without a sign-in step to time),
and times 20 loads of the page over HTTP. The page carries every card,
the chart and every panel's top rows, so one request is the complete dashboard; the static files it links are
counted in the bytes of one full (uncached) load. Beside it: the same reports asked one by one of
`/v1/aggregations`, summed. Targets: p50 <= 500 ms, p50 <= 1.3 x the API sum, <= 150 KB per full load; the
page for the last 12 months and for all time is timed too, against the same 500 ms. Each of the three views is
also timed filtered by the year's top referrer (the first filter a user clicks), without a target: a filtered
view is summed from rollups only for its totals (query/rolled.py); its chart and panels read the range's hits.
Exits 1 when a target is missed.

    .venv/bin/python bench/dashboard.py [--hits 10000000] [--loads 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.live_server import start_server

from leadline.config import Settings
from leadline.dashboard.panels import EVENT_METRICS, PAGEVIEW_CARDS, PANELS, TOP_ROWS, panel_params
from leadline.dashboard.ranges import custom_range
from leadline.deployment import build_deployment
from leadline.store.events.base import compact_closed_days
from leadline.store.events.duckdb_cold import COLD_AFTER_DAYS
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig

# The data of bench/query.py: a year of traffic ending here, in this timezone.
TIMEZONE = "America/New_York"
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=365)
# Days that go to the DuckDB store's cold tier: as a deployment whose today is END's day would keep them (the
# dashboard's last 30 days in the tables), whatever today is.
COLD_AFTER = timedelta(days=COLD_AFTER_DAYS)


def cold_after_days_as_of_end() -> int:
    """LEADLINE_COLD_AFTER_DAYS for a server that should freeze what one running on END's day would."""
    return (datetime.now(UTC).date() - END.date() + COLD_AFTER).days


TARGET_P50_MS = 500
TARGET_RATIO = 1.3
TARGET_BYTES = 150_000
UNLIMITED = {"LEADLINE_MANAGEMENT_RATE_LIMIT": "1000000/hour", "LEADLINE_REPORTS_RATE_LIMIT": "1000000/hour"}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def prepare(data_dir: Path, hits: int) -> tuple[str, str]:
    """The big site's id (loading it first if needed) and a full-access API key; the site is made public."""
    deployment = build_deployment(Settings(data_dir=data_dir, log_level="warning"))
    try:
        metadata = deployment.metadata
        account = metadata.accounts.find_by_email("bench@example.com")
        if account is None:
            account = metadata.accounts.create("Bench", "bench@example.com", TIMEZONE)
        site = next((site for site in metadata.sites.list_all(account.id) if site.name == "big"), None)
        if site is None:
            site = metadata.sites.create(
                account.id, {"name": "big", "multi_domain": True, "multi_domain_option": "combined"}
            )
            started = time.perf_counter()
            loaded = load_traffic(
                deployment,
                TrafficConfig(site_id=site.id, start=START, end=END, seed="big", total_hits=hits, timezone=TIMEZONE),
            )
            print(f"loaded {loaded.stored:,} hits in {time.perf_counter() - started:.1f} s")
        # As the background job leaves a store that has run a while: closed days compacted, their sessions settled.
        started = time.perf_counter()
        run = compact_closed_days(deployment.event_store, datetime.now(UTC).date(), END.date() - COLD_AFTER)
        print(f"compacted closed days: {run} in {time.perf_counter() - started:.1f} s")
        metadata.sites.update(account.id, site.id, {"sharing": "public", "timezone": TIMEZONE})
        key = metadata.api_keys.create(account.id, ["*"], name="dashboard bench").key
        return site.id, key
    finally:
        deployment.close()


def api_requests(site_id: str, events: list[str], query: str) -> list[dict[str, str]]:
    """The `/v1/aggregations` requests behind one dashboard view (cards, chart, panels; this and the previous
    period), built from the same panel table the page uses."""
    span = custom_range(*re.findall(r"\d{4}-\d{2}-\d{2}", query))
    previous = span.previous()
    if previous is None:
        raise ValueError("a custom range always has a previous period")
    requests = []
    for period in (span, previous):
        base = {"entity": "pageview", "entity_id": site_id, **period.window()}
        requests.append({**base, "aggregates": ",".join(PAGEVIEW_CARDS)})
        requests.append({**base, "aggregates": "uniques", "date_grouping": "day"})
        if events:  # one report grouped by event, as the page asks it
            event_base = {"entity": "event", "site_id": site_id, "field_grouping": "event", **period.window()}
            requests.append({**event_base, "aggregates": EVENT_METRICS})
    base = {"entity": "pageview", "entity_id": site_id, **span.window()}
    requests += [{**base, **panel_params(panel, TOP_ROWS)} for panel in PANELS if panel.field is not None]
    return requests


def top_referrer(api: httpx.Client, site_id: str, view: str) -> str | None:
    """The referrer hostname with the most visits over the view's range (None: no visit had one)."""
    window = custom_range(*re.findall(r"\d{4}-\d{2}-\d{2}", view)).window()
    params = {"entity": "pageview", "entity_id": site_id, **window, "aggregates": "visits"}
    params |= {"field_grouping": "referrer_hostname", "sort_by": "visits:desc", "limit": "2"}
    response = api.get("/v1/aggregations", params=params)
    response.raise_for_status()
    rows: list[dict[str, str]] = response.json()["data"]
    return next((row["referrer_hostname"] for row in rows if row["referrer_hostname"]), None)


def view_times(client: httpx.Client, url: str, loads: int) -> list[float]:
    """Milliseconds of `loads` loads of a dashboard page, after one untimed load (the warm-up)."""
    client.get(url).raise_for_status()
    times = []
    for _ in range(loads):
        started = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hits", type=int, default=10_000_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="reuse (or create) the data directory here")
    args = parser.parse_args()

    data_dir = args.keep or Path(tempfile.mkdtemp(prefix="leadline-dashboard-bench-"))
    site_id, key = prepare(data_dir, args.hits)
    # The server's compaction job keeps the same days in the tables as if today were END's day.
    server = start_server(data_dir, {**UNLIMITED, "LEADLINE_COLD_AFTER_DAYS": str(cold_after_days_as_of_end())})
    try:
        last_day = (END - timedelta(seconds=1)).astimezone(ZoneInfo(TIMEZONE)).date()
        first_day = last_day - timedelta(days=29)
        query = f"?range=custom&from={first_day.isoformat()}&to={last_day.isoformat()}&metric=uniques&interval=day"
        page_url = f"/share/{site_id}{query}"
        events = [event.name for event in server.metadata.events.list_all(site_id)]
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first = client.get(page_url)
            first.raise_for_status()
            assets = re.findall(r'(?:href|src)="(/dashboard-static/[^"]+)"', first.text)
            asset_bytes = sum(len(client.get(asset).content) for asset in dict.fromkeys(assets))
            page_times = view_times(client, page_url, args.loads)
            # The long views: a year of local days (months on the chart, as the page picks) and all time.
            year_query = f"?range=custom&from={(last_day - timedelta(days=364)).isoformat()}&to={last_day.isoformat()}"
            long_views = {"last 12 months": year_query, "all time": "?range=all"}
            long_times = {
                name: view_times(client, f"/share/{site_id}{view}", max(5, args.loads // 2))
                for name, view in long_views.items()
            }
            api = httpx.Client(base_url=server.base_url, timeout=60, headers={"Authorization": f"Bearer {key}"})
            with api:
                filter_value = top_referrer(api, site_id, year_query)
                filtered_times: dict[str, list[float]] = {}
                if filter_value is not None:
                    filtered = f"&filter={quote('referrer_hostname:' + filter_value)}"
                    for name, view in {"last 30 days": query, **long_views}.items():
                        filtered_times[name] = view_times(client, f"/share/{site_id}{view}{filtered}", 5)
                requests = api_requests(site_id, events, query)
                api_sums = []
                for _ in range(args.loads):
                    started = time.perf_counter()
                    for params in requests:
                        api.get("/v1/aggregations", params=params).raise_for_status()
                    api_sums.append((time.perf_counter() - started) * 1000)
        page_p50, page_p95 = statistics.median(page_times), percentile(page_times, 0.95)
        api_p50 = statistics.median(api_sums)
        full_bytes = len(first.content) + asset_bytes
        ratio = page_p50 / api_p50
        hits = json.dumps(args.hits)
        print(f"\nsite with {hits} hits (requested), dashboard for {first_day} .. {last_day} ({TIMEZONE})")
        print(f"complete dashboard (1 page request, {len(requests)} reports inside), {args.loads} loads:")
        print(f"  p50 {page_p50:7.1f} ms   (target <= {TARGET_P50_MS} ms)")
        print(f"  p95 {page_p95:7.1f} ms")
        print(f"  same {len(requests)} reports through /v1/aggregations, summed: p50 {api_p50:7.1f} ms")
        print(f"  ratio page / API sum {ratio:5.2f}   (target <= {TARGET_RATIO})")
        print(
            f"  bytes of one full load: {full_bytes:,} (page {len(first.content):,} + static {asset_bytes:,})"
            f"   (target <= {TARGET_BYTES:,})"
        )
        long_p50 = {name: statistics.median(times) for name, times in long_times.items()}
        for name, p50 in long_p50.items():
            print(f"  {name}: complete dashboard p50 {p50:7.1f} ms   (target <= {TARGET_P50_MS} ms, as for 30 days)")
        if filtered_times:
            print(f"  filtered by the year's top referrer ({filter_value}; no target: filtered views read the hits):")
        for name, times in filtered_times.items():
            print(f"    {name}: complete dashboard p50 {statistics.median(times):7.1f} ms")
        missed = [
            name
            for name, ok in (
                ("p50", page_p50 <= TARGET_P50_MS),
                ("ratio", ratio <= TARGET_RATIO),
                ("bytes", full_bytes <= TARGET_BYTES),
                *((f"{name} p50", p50 <= TARGET_P50_MS) for name, p50 in long_p50.items()),
            )
            if not ok
        ]
        print("all targets met" if not missed else f"missed: {', '.join(missed)}")
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
