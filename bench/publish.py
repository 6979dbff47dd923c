"""Publishing benchmark: what a day's signed publication and a scheduler run cost on a busy site.

Loads a site with `--hits` hits over 30 days (America/New_York), then times:
- publishing one day of each dataset (reports + canonical encoding + SHA-256 + Ed25519 + store), against
  the baseline of running the same `/v1/aggregations` reports alone (the ratio is the publishing overhead);
- a scheduler run over the look-back (7 days x 3 datasets) when nothing changed (what the server pays
  every `LEADLINE_PUBLICATION_INTERVAL_SECONDS`).

    .venv/bin/python bench/publish.py [--hits 1000000] [--repetitions 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.publishing.dataset_rows import dataset_rows
from leadline.publishing.datasets import DATASETS
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig

TIMEZONE = "America/New_York"
DAYS = 30


def median_seconds(function: Callable[[], object], repetitions: int) -> float:
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hits", type=int, default=1_000_000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="leadline-publish-bench-"))
    try:
        settings = Settings(data_dir=data_dir)
        deployment = build_deployment(settings)
        account = deployment.metadata.accounts.create("Bench", "bench@example.com", TIMEZONE)
        site = deployment.metadata.sites.create(account.id, {"name": "Busy"}, default_timezone=TIMEZONE)
        end = datetime.now(UTC)
        config = TrafficConfig(
            site.id, end - timedelta(days=DAYS), end, seed=5, total_hits=args.hits, timezone=TIMEZONE
        )
        loaded = load_traffic(deployment, config)
        print(f"loaded {loaded.stored:,} hits over {DAYS} days ({loaded.stored / DAYS:,.0f} per day)")
        deployment.metadata.integration_clients.create(account.id, site.id, tuple(DATASETS))
        publisher = deployment.publisher
        day = end.date() - timedelta(days=2)

        def reports_only() -> None:
            for name in DATASETS:
                dataset_rows(name, site, day, deployment.event_store, deployment.metadata)

        # A day nobody published yet, each repetition, so every one computes, signs and stores.
        fresh_days = iter([day - timedelta(days=n) for n in range(args.repetitions)])
        baseline = median_seconds(reports_only, args.repetitions)
        ours = median_seconds(lambda: publisher.publish(site, next(fresh_days)), args.repetitions)
        rows = sum(len(dataset_rows(name, site, day, deployment.event_store, deployment.metadata)) for name in DATASETS)
        print(
            f"one day, 3 datasets ({rows:,} rows): reports alone {baseline * 1000:.0f} ms, "
            f"published {ours * 1000:.0f} ms, ratio {ours / baseline:.2f}"
        )
        publisher.publish_due(timedelta(0), 7)  # publish the look-back once
        steady = median_seconds(lambda: publisher.publish_due(timedelta(0), 7), args.repetitions)
        print(f"scheduler run, 7 days x 3 datasets, nothing changed: {steady * 1000:.0f} ms")
        deployment.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
