"""The report bounds through the real endpoint: each abuse of /v1/aggregations gets a 400 or a 503, never a 500.

Before the bounds, these requests answered 500 (dates in year 1 or 9999), returned every row however many
(no limit), grouped years of data by the hour, or ran as long as the query took.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest

from leadline.store.events import Hit, HitKind
from leadline.store.events.base import HIT_COLUMNS
from leadline.store.events.duckdb import DuckDBEventStore
from leadline.store.metadata.store import open_metadata_store
from tests.conftest import UNLIMITED
from tests.live_server import LiveServer, start_server

MAX_ROWS = 10
MAX_TIME_BUCKETS = 10_000  # the default: two years of hours exceed it, six months do not
TIMEOUT_SECONDS = 0.005
# Enough hits that the heavy report below takes tens of milliseconds on a fast machine (once 0.05 s was the
# timeout, and a quiet CI machine answered the report within it): many times the timeout.
HEAVY_HITS = 300_000


@dataclass
class Served:
    server: LiveServer
    key: str
    sites: dict[str, str]  # name -> site id

    def aggregations(self, site: str, **params: str) -> httpx.Response:
        query = {"entity": "pageview", "entity_id": self.sites[site], "aggregates": "visits,pageviews", **params}
        return httpx.get(
            self.server.url("/v1/aggregations"),
            params=query,
            headers={"Authorization": f"Bearer {self.key}"},
            timeout=30,
        )


def pageview(site_id: str, when: datetime, visitor: int, path: str = "/") -> Hit:
    return Hit(
        site_id=site_id,
        timestamp=when,
        kind=HitKind.PAGEVIEW,
        visitor_id=visitor,
        session_id=int((when - datetime(1970, 1, 1)).total_seconds()),
        hostname="shop.example",
        pathname=path,
        entry=True,
    )


def serve(data_dir: Path, settings: dict[str, str], fill: dict[str, object]) -> Served:
    """A server over sites made beforehand (it holds the DuckDB file while it runs): `fill` maps a site name
    to its hits, or to a number of generated hits."""
    metadata = open_metadata_store(f"sqlite:///{data_dir / 'leadline.sqlite3'}")
    account = metadata.accounts.create("Bounds", "bounds@example.com", "America/New_York")
    key = metadata.api_keys.create(account.id, ["*"]).key
    sites = {name: metadata.sites.create(account.id, {"name": name}).id for name in fill}
    store = DuckDBEventStore(data_dir / "events.duckdb")
    for name, hits in fill.items():
        if isinstance(hits, list):
            store.insert_hits([pageview(sites[name], *hit) for hit in hits])
    store.close()
    metadata.close()
    for name, count in fill.items():
        if isinstance(count, int):
            generate_hits(data_dir / "events.duckdb", sites[name], count)
    return Served(start_server(data_dir, {**UNLIMITED, **settings}), key, sites)


def generate_hits(path: Path, site_id: str, count: int) -> None:
    """Many hits made by DuckDB itself: building them in Python would take most of a minute here."""
    with duckdb.connect(str(path)) as connection:
        connection.execute(
            f"INSERT INTO live_hits ({', '.join(HIT_COLUMNS)}) SELECT ?, TIMESTAMP '2026-01-01' + to_seconds(n * 7), "
            "1, n % 50000, 1767225600 + (n // 10) * 70, 'shop.example', '/p' || (n % 3000), '', 0, '', '', '', "
            "'', '', '', '', '', 'Chrome', 'Linux', 'desktop', 'DE', '', n % 10 = 0, '' FROM range(?) AS numbers(n)",
            [site_id, count],
        )


THIRTY_PAGES = [(datetime(2026, 6, 1, 9, number), number, f"/page-{number:02d}") for number in range(30)]
TWO_YEARS = [(datetime(2024, 11, 1, 12) + timedelta(weeks=week), week, "/") for week in range(105)]


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    settings = {"LEADLINE_REPORT_MAX_ROWS": str(MAX_ROWS), "LEADLINE_REPORT_MAX_TIME_BUCKETS": str(MAX_TIME_BUCKETS)}
    served = serve(tmp_path_factory.mktemp("bounded"), settings, {"pages": THIRTY_PAGES, "years": TWO_YEARS})
    yield served
    served.server.stop()


@pytest.mark.parametrize(
    ("name", "value"),
    [("date_to", "253402300799"), ("date_from", "0001-01-01 00:00:00"), ("date_to", "9999-12-31 23:59:59")],
)
def test_dates_out_of_range_are_a_400_naming_the_range(bounded: Served, name: str, value: str) -> None:
    answer = bounded.aggregations("pages", **{name: value})
    assert answer.status_code == 400, answer.text
    assert answer.json() == {"error": f"{name} must lie between 1970-01-01 00:00:00 and 2999-12-31 23:59:59 UTC"}


def test_a_report_from_1970_in_a_dst_zone_answers_from_the_sites_data(bounded: Served) -> None:
    grouped = {"date_grouping": "hour", "timezone": "America/New_York"}
    from_1970 = bounded.aggregations("pages", date_from="0", date_to="2999-01-01 00:00:00", **grouped)
    assert from_1970.status_code == 200, from_1970.text
    assert from_1970.json() == bounded.aggregations("pages", **grouped).json()
    assert from_1970.json()["data"] == [{"date": "2026-06-01 05:00:00", "visits": "30", "pageviews": "30"}]


def test_more_rows_than_the_cap_without_a_limit_is_a_400_naming_the_cap(bounded: Served) -> None:
    answer = bounded.aggregations("pages", field_grouping="pathname")
    assert answer.status_code == 400, answer.text
    assert f"more than {MAX_ROWS} rows" in answer.json()["error"]
    assert f"limit (at most {MAX_ROWS})" in answer.json()["error"]


def test_a_limit_up_to_the_cap_gives_the_first_rows(bounded: Served) -> None:
    answer = bounded.aggregations("pages", field_grouping="pathname", sort_by="pathname:asc", limit=str(MAX_ROWS))
    assert answer.status_code == 200, answer.text
    assert [row["pathname"] for row in answer.json()["data"]] == [f"/page-{number:02d}" for number in range(10)]


def test_a_limit_above_the_cap_is_a_400(bounded: Served) -> None:
    answer = bounded.aggregations("pages", field_grouping="pathname", limit=str(MAX_ROWS + 1))
    assert answer.status_code == 400
    assert answer.json() == {
        "error": f"limit must be an integer between 1 and {MAX_ROWS} (the most rows a report returns)"
    }


def test_a_limit_followed_by_a_control_character_is_not_a_500(bounded: Served) -> None:
    answer = bounded.aggregations("pages", limit="5\x1f")
    assert answer.status_code == 200, answer.text


def test_hourly_buckets_over_years_are_a_400_and_years_are_answered(bounded: Served) -> None:
    hourly = bounded.aggregations("years", date_grouping="hour")
    assert hourly.status_code == 400, hourly.text
    assert f"more than the {MAX_TIME_BUCKETS} a report may have" in hourly.json()["error"]
    yearly = bounded.aggregations("years", date_grouping="year")
    assert yearly.status_code == 200, yearly.text
    assert [row["visits"] for row in yearly.json()["data"]] == ["9", "52", "44"]


def test_a_report_past_the_timeout_is_interrupted_with_a_503_and_retry_after(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    served = serve(
        tmp_path_factory.mktemp("slow"), {"LEADLINE_REPORT_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS)}, {"big": HEAVY_HITS}
    )
    try:
        heavy = {
            "aggregates": "visits,uniques,pageviews,avg_duration,bounce_rate",
            "field_grouping": "pathname",
            "date_grouping": "day",
            "limit": "10",
            "filters": json.dumps([{"field": "pathname", "operator": "matching", "value": "^/p[0-9]*1$"}]),
        }
        for _ in range(2):  # and the store is usable again after each interrupt
            answer = served.aggregations("big", **heavy)
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "30"
            assert answer.json() == {
                "error": f"the report ran longer than {TIMEOUT_SECONDS:g} s and was stopped: "
                "narrow date_from/date_to, the grouping or the filters, or retry later"
            }
        assert httpx.get(served.server.url("/health")).status_code == 200
    finally:
        served.server.stop()
