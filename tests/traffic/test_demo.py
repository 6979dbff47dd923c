"""`leadline demo --hits N` shows a site with months of traffic: loaded once, before serving, lines unchanged."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import httpx
from rich.console import Console

from leadline.config import Settings
from leadline.deployment import build_deployment
from leadline.traffic.demo import fill_demo_site
from tests.live_server import demo_output, free_port, leadline_env

HITS = 3000


def test_demo_with_hits_serves_a_site_with_months_of_traffic(data_dir: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "leadline", "demo", "--port", str(port), "--hits", str(HITS)]
    with demo_output(command, leadline_env(data_dir, {"COLUMNS": "200"})) as printed:
        assert {"Account", "Site ID", "API key", "API", "OpenAPI", "Try"} <= set(printed)
        response = httpx.get(
            f"http://127.0.0.1:{port}/v1/aggregations",
            params={"entity": "pageview", "entity_id": printed["Site ID"], "aggregates": "pageviews,visits"},
            headers={"Authorization": f"Bearer {printed['API key']}"},
        )
    assert response.status_code == 200, response.text
    [totals] = response.json()["data"]
    assert 0.9 * HITS < float(totals["pageviews"]) < HITS
    assert 0 < float(totals["visits"]) < float(totals["pageviews"])
    with duckdb.connect(str(data_dir / "events.duckdb"), read_only=True) as connection:
        first, last, count = connection.execute(
            "SELECT epoch(min(timestamp)), epoch(max(timestamp)), count(*) FROM hits WHERE site_id = ?",
            [printed["Site ID"]],
        ).fetchall()[0]
    assert count == HITS
    assert 170 * 86400 < last - first < 183 * 86400  # about six months, up to now


def test_the_demo_site_is_filled_only_while_it_has_no_hits(data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    deployment = build_deployment(settings)
    account = deployment.metadata.accounts.create("Demo", "demo@example.test")
    site = deployment.metadata.sites.create(account.id, {"name": "Demo site", "timezone": "Asia/Tokyo"})
    quiet = Console(quiet=True)
    try:
        assert fill_demo_site(deployment, site, 500, quiet) == 500
        assert fill_demo_site(deployment, site, 500, quiet) == 0
        assert deployment.event_store.count_hits(site.id) == 500
        # Not bound to the synthetic hostname: the site's own pages can still claim it.
        assert deployment.metadata.sites.get(account.id, site.id).primary_hostname is None
    finally:
        deployment.close()
