"""The dashboard's CSV export over real stores: visitor-controlled text cannot become a spreadsheet formula.

(File names, headers and rows against `/v1/aggregations` through a live server: test_site_dashboard.py.)
"""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from starlette.datastructures import QueryParams

from leadline.dashboard.export import export_files, zip_bytes
from leadline.dashboard.site_reports import SiteReports
from leadline.dashboard.site_state import parse_state
from leadline.deployment import Deployment
from leadline.store.events import Hit, HitKind

NOW = datetime.now(UTC).replace(microsecond=0)
HOSTILE = ['=HYPERLINK("http://evil.test","x")', "+1+2", "-3+4", "@SUM(A1)", "\tcmd", "\rcmd", "plain"]


def stored_hits(site_id: str) -> list[Hit]:
    """One visit per hostile campaign name, landing on a page whose path is that name too."""
    moment = (NOW - timedelta(hours=1)).replace(tzinfo=None)
    return [
        Hit(
            site_id=site_id,
            timestamp=moment,
            kind=HitKind.PAGEVIEW,
            visitor_id=1000 + index,
            session_id=int(moment.replace(tzinfo=UTC).timestamp()),
            hostname="shop.test",
            pathname="/" + name if name == "plain" else name,
            utm_source=name,
            browser="Chrome",
            entry=True,
        )
        for index, name in enumerate(HOSTILE)
    ]


def exported(deployment: Deployment, site_id: str) -> zipfile.ZipFile:
    site = deployment.metadata.sites.find(site_id)
    if site is None:
        raise AssertionError("the site was just created")
    context = deployment.dashboard()
    state = parse_state(QueryParams("range=7d"), NOW.date(), None)  # the site is in UTC
    # On a thread of its own: this package's Playwright tests leave this thread looking like a running loop.
    with ThreadPoolExecutor(max_workers=1) as thread:
        files = thread.submit(asyncio.run, export_files(SiteReports(context, site, state), max_rows=100)).result()
    return zipfile.ZipFile(io.BytesIO(zip_bytes(files)))


def test_exported_cells_that_would_start_a_formula_are_escaped(deployment: Deployment) -> None:
    account = deployment.metadata.accounts.create("Acme", "acme@example.com", "UTC")
    site = deployment.metadata.sites.create(account.id, {"name": "Shop", "timezone": "UTC"})
    deployment.event_store.insert_hits(stored_hits(site.id))

    archive = exported(deployment, site.id)
    sources = list(csv.reader(io.StringIO(archive.read("utm_source.csv").decode("utf-8"), newline="")))
    assert sources[0] == ["utm_source", "visits"]
    cells = {row[0] for row in sources[1:]}
    assert cells == {"'" + name if name != "plain" else name for name in HOSTILE}
    assert all(row[1] == "1" for row in sources[1:])
    pages = list(csv.reader(io.StringIO(archive.read("pages.csv").decode("utf-8"), newline="")))
    assert '\'=HYPERLINK("http://evil.test","x")' in {row[0] for row in pages[1:]}


def test_the_export_lists_one_file_per_panel_and_the_chart_series(deployment: Deployment) -> None:
    account = deployment.metadata.accounts.create("Acme", "acme@example.com", "UTC")
    site = deployment.metadata.sites.create(account.id, {"name": "Shop", "timezone": "UTC"})
    archive = exported(deployment, site.id)
    assert archive.namelist() == [
        "visitors.csv",
        "pages.csv",
        "entry_pages.csv",
        "exit_pages.csv",
        "referrers.csv",
        "full_referrers.csv",
        "utm_source.csv",
        "utm_medium.csv",
        "utm_campaign.csv",
        "utm_content.csv",
        "utm_term.csv",
        "countries.csv",
        "regions.csv",
        "cities.csv",
        "browsers.csv",
        "operating_systems.csv",
        "device_types.csv",
        "events.csv",
    ]
    assert archive.read("visitors.csv").decode().splitlines() == [
        "date,uniques,visits,pageviews,avg_duration,bounce_rate"
    ]
