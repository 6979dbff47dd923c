"""Months of synthetic traffic for the demo site, so `leadline demo --hits N` has something to show."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from leadline.store.metadata.records import Site
from leadline.traffic.bulk import load_traffic
from leadline.traffic.config import TrafficConfig
from leadline.traffic.target import TrafficTarget

DEMO_DAYS = 182
DEMO_SEED = 1


def fill_demo_site(target: TrafficTarget, site: Site, hits: int, console: Console) -> int:
    """Load `hits` hits over the last six months into `site` unless it has hits already; how many were stored.

    Call it before a server holds the DuckDB file. The site is not bound to the synthetic hostname, so a real
    page can still claim it.
    """
    if hits <= 0 or target.event_store.count_hits(site.id) > 0:
        return 0
    end = time.time()
    config = TrafficConfig(
        site_id=site.id,
        start=end - DEMO_DAYS * 86400,
        end=end,
        seed=DEMO_SEED,
        total_hits=hits,
        timezone=site.timezone,
    )
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("Generating demo traffic", total=hits)
        result = load_traffic(
            target,
            config,
            bind_hostnames=False,
            synthetic_places=True,  # a demo without a MaxMind file still shows regions and cities
            on_progress=lambda done: progress.update(task, completed=done),
        )
    return result.stored
