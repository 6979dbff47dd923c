"""Both ways of storing synthetic traffic write what the collector would: the real pipeline (spool, flusher)
and the bulk loader (the pipeline's steps, Arrow batches) agree row for row, sessions included."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import duckdb

from leadline.deployment import Deployment, build_deployment
from leadline.store.events.base import HIT_COLUMNS
from leadline.store.metadata.pagination import PageRequest
from leadline.store.metadata.records import Site
from leadline.traffic import (
    RowMaker,
    SeededSalts,
    SyntheticRequest,
    TrafficConfig,
    generate_visits,
    ingest_through_pipeline,
    load_bulk,
    load_traffic,
)
from leadline.traffic.child import generate_in_child_process

VISITOR, SESSION = HIT_COLUMNS.index("visitor_id"), HIT_COLUMNS.index("session_id")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def config(site: Site, **overrides: object) -> TrafficConfig:
    settings: dict[str, object] = {
        "site_id": site.id,
        "start": datetime(2025, 11, 1, 18, tzinfo=UTC),  # across two UTC midnights and New York's DST change
        "end": datetime(2025, 11, 3, 6, tzinfo=UTC),
        "hits_per_day": 1500,
        "timezone": site.timezone,
        "seed": 11,
    }
    settings.update(overrides)
    return TrafficConfig(**settings)  # type: ignore[arg-type]


def without_visitor_ids(rows: Sequence[Sequence[object]]) -> list[tuple[object, ...]]:
    return [tuple(value for column, value in enumerate(row) if column != VISITOR) for row in rows]


def visitors(rows: Sequence[Sequence[object]]) -> list[int]:
    """Which rows share a visitor, whatever the ids: each id renamed by first appearance."""
    names: dict[object, int] = {}
    return [names.setdefault(row[VISITOR], len(names)) for row in rows]


def sessions(rows: Sequence[Sequence[object]]) -> list[int]:
    """Which rows share a session (named by visitor and start second), renamed by first appearance."""
    names: dict[tuple[object, object], int] = {}
    return [names.setdefault((row[VISITOR], row[SESSION]), len(names)) for row in rows]


def stored_rows(deployment: Deployment) -> list[tuple[object, ...]]:
    """Every stored hit as a row (read with the stores closed: DuckDB holds its file)."""
    path = deployment.settings.event_store_url.removeprefix("duckdb://")
    deployment.close()
    columns = ", ".join("epoch_us(timestamp)" if name == "timestamp" else name for name in HIT_COLUMNS)
    with duckdb.connect(path, read_only=True) as connection:
        return [tuple(row) for row in connection.execute(f"SELECT {columns} FROM hits").fetchall()]


def test_bulk_and_pipeline_paths_store_the_same_rows(deployment: Deployment, site: Site) -> None:
    # Two hostnames on a single-domain site: both paths bind it to the first seen and drop the other's hits.
    requests = list(generate_visits(config(site, hostnames=("www.shop.example", "blog.example"), bot_share=0.03)))
    through_pipeline = asyncio.run(ingest_through_pipeline(deployment.new_collector(), requests))
    bulk = load_bulk(deployment, requests, salt_seed="any", keep_rows=True)
    assert bulk.rows is not None
    assert through_pipeline.dropped == bulk.dropped
    assert set(bulk.dropped) == {"bot", "foreign_hostname"}
    assert through_pipeline.accepted == bulk.stored == len(bulk.rows) > 1000
    # Salts differ (the store's are random, the bulk loader's derived from a seed), so visitor ids differ;
    # which hits share a visitor and which share a session must not.
    assert without_visitor_ids(through_pipeline.rows) == without_visitor_ids(bulk.rows)
    assert visitors(through_pipeline.rows) == visitors(bulk.rows)
    assert sessions(through_pipeline.rows) == sessions(bulk.rows)
    assert len(set(sessions(bulk.rows))) > 400
    events = {event.name for event in deployment.metadata.events.list_page(site.id, PageRequest(limit=100)).items}
    assert {"Signup", "Purchase", "Newsletter"} <= events
    assert deployment.metadata.sites.get(site.account_id, site.id).primary_hostname == "shop.example"
    # And the store holds exactly what each path says it wrote.
    assert sorted(stored_rows(deployment)) == sorted(tuple(row) for row in [*through_pipeline.rows, *bulk.rows])


def test_sessions_continue_across_utc_midnight_on_both_paths(deployment: Deployment, site: Site) -> None:
    midnight = datetime(2025, 6, 2, tzinfo=UTC).timestamp()
    requests = [
        SyntheticRequest(midnight + offset, site.id, "81.2.69.142", BROWSER, f"https://shop.example/{offset}")
        for offset in (-1200.0, -600.0, 300.0, 1500.0, 3400.0, 86400.0 + 60)
    ]
    through_pipeline = asyncio.run(ingest_through_pipeline(deployment.new_collector(), requests))
    bulk = load_bulk(deployment, requests, keep_rows=True)
    assert bulk.rows is not None
    for rows in (through_pipeline.rows, bulk.rows):
        # One session until 30 idle minutes pass (00:25 to 00:56), kept under yesterday's visitor id.
        assert sessions(rows) == [0, 0, 0, 0, 1, 2]
        assert visitors(rows) == [0, 0, 0, 0, 1, 2]


def test_offering_yesterdays_salt_only_while_it_can_matter_changes_no_row(deployment: Deployment, site: Site) -> None:
    class AlwaysYesterday(SeededSalts):
        def salts_for(self, unix_time: float) -> tuple[bytes, bytes | None]:
            day = int(unix_time // 86400)
            return self._salt(day), self._salt(day - 1)

    requests = list(generate_visits(config(site, hits_per_day=8000)))
    shortcut, always = RowMaker(deployment, salt_seed=5), RowMaker(deployment, salts=AlwaysYesterday(5))
    ours = list(shortcut.rows(requests))
    assert ours == list(always.rows(requests))
    # The case at stake happened: sessions begun before a UTC midnight went on after it.
    crossing = {(row[VISITOR], row[SESSION]) for row in ours if _started_a_utc_day_earlier(row)}
    assert len(crossing) > 10


def test_bulk_visitor_ids_follow_from_the_salt_seed(deployment: Deployment, site: Site) -> None:
    requests = list(generate_visits(config(site, end=datetime(2025, 11, 2, tzinfo=UTC))))
    first = RowMaker(deployment, salt_seed=1)
    again = RowMaker(deployment, salt_seed=1)
    other = RowMaker(deployment, salt_seed=2)
    ids = [[row[VISITOR] for row in maker.rows(requests)] for maker in (first, again, other)]
    assert ids[0] == ids[1] != ids[2]


def test_a_child_process_generates_exactly_the_same_traffic(site: Site) -> None:
    wanted = config(site, total_hits=25_000)
    assert list(generate_in_child_process(wanted)) == list(generate_visits(wanted))


def test_loading_in_parallel_stores_what_loading_in_one_process_does(deployment: Deployment, site: Site) -> None:
    wanted = config(site, total_hits=30_000, hostnames=("stats.example",))
    parallel = load_traffic(deployment, wanted, parallel=True, keep_rows=True)
    serial = load_traffic(deployment, replace(wanted), parallel=False, keep_rows=True, batch_rows=7000)
    assert parallel.rows is not None and serial.rows is not None
    assert parallel.stored == serial.stored == 30_000
    assert parallel.rows == serial.rows
    assert deployment.event_store.count_hits(site.id) == 60_000


def _started_a_utc_day_earlier(row: Sequence[object]) -> bool:
    microseconds, session_start = row[HIT_COLUMNS.index("timestamp")], row[SESSION]
    assert isinstance(microseconds, int) and isinstance(session_start, int)
    return session_start < microseconds // 86_400_000_000 * 86_400


def test_both_paths_refuse_what_the_endpoint_refuses(deployment: Deployment, site: Site) -> None:
    page = "https://shop.example/"
    requests = [
        SyntheticRequest(1_750_000_000.0, site.id, "81.2.69.142", BROWSER, page),
        SyntheticRequest(1_750_000_001.0, site.id, "81.2.69.142", BROWSER, page, "", "   "),  # a blank event name
        SyntheticRequest(1_750_000_002.0, site.id, "81.2.69.142", BROWSER, "ftp://shop.example/"),
        SyntheticRequest(1_750_000_003.0, "NOSUCHSITE", "81.2.69.142", BROWSER, page),
    ]
    through_pipeline = asyncio.run(ingest_through_pipeline(deployment.new_collector(), requests))
    bulk = load_bulk(deployment, requests)
    assert through_pipeline.dropped == bulk.dropped == {"invalid_payload": 2, "unknown_site": 1}
    assert through_pipeline.accepted == bulk.stored == 1


def test_what_the_pipeline_path_stores_is_there_after_the_stores_are_reopened(
    deployment: Deployment, site: Site
) -> None:
    requests = list(generate_visits(config(site, total_hits=300)))
    result = asyncio.run(ingest_through_pipeline(deployment.new_collector(), requests))
    assert result.accepted == len(result.rows) == 300
    deployment.close()
    reopened = build_deployment(deployment.settings)
    try:
        assert reopened.event_store.count_hits(site.id) == 300
    finally:
        reopened.close()
