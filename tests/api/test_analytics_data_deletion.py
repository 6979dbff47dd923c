"""Deleting a site, an event, or an event's data really removes rows from the event store."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from leadline.store.events import Hit, HitKind
from leadline.store.events.duckdb import DuckDBEventStore
from tests.live_server import start_server


def hits_for(site_id: str, event_id: str, count: int) -> list[Hit]:
    hits = []
    for number in range(count):
        kind = HitKind.EVENT if number % 2 else HitKind.PAGEVIEW
        hits.append(
            Hit(
                site_id=site_id,
                timestamp=datetime(2025, 1, 1, 12, number % 60),
                kind=kind,
                visitor_id=number,
                session_id=number,
                hostname="example.com",
                pathname="/",
                event_id=event_id if kind is HitKind.EVENT else "",
                value=100 if kind is HitKind.EVENT else 0,
            )
        )
    return hits


def test_deleting_through_the_api_removes_the_hits(data_dir: Path) -> None:
    # The server holds the DuckDB file while it runs, so hits are loaded while it is stopped.
    server = start_server(data_dir)
    account = server.new_account()
    key = server.new_key(account)
    doomed, kept = server.new_site(account, "Doomed"), server.new_site(account, "Kept")
    wiped_event = server.metadata.events.create(kept.id, "Wiped")
    deleted_event = server.metadata.events.create(kept.id, "Deleted")
    server.stop()

    events = DuckDBEventStore(data_dir / "events.duckdb")
    events.insert_hits(hits_for(doomed.id, "", 10))
    events.insert_hits(hits_for(kept.id, wiped_event.id, 10) + hits_for(kept.id, deleted_event.id, 6))
    assert events.count_hits(kept.id, wiped_event.id) == 5
    events.close()

    server = start_server(data_dir)
    with server.client(key) as http:
        assert http.delete(f"/v1/sites/{doomed.id}").status_code == 200
        assert http.delete(f"/v1/sites/{kept.id}/events/{wiped_event.id}/data").status_code == 200
        assert http.delete(f"/v1/sites/{kept.id}/events/{deleted_event.id}").status_code == 200
    server.stop()

    events = DuckDBEventStore(data_dir / "events.duckdb")
    assert events.count_hits(doomed.id) == 0
    assert events.count_hits(kept.id, wiped_event.id) == 0
    assert events.count_hits(kept.id, deleted_event.id) == 0
    assert events.count_hits(kept.id) == 5 + 3  # the pageviews stay
    events.close()
