"""Every report the query layer answers from DuckDB equals the Python oracle's, for generated traffic and queries."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadline.query.oracle import expected_rows
from leadline.query.parse import parse_report_query
from leadline.query.report import run_report
from leadline.store.events import open_event_store
from leadline.store.events.base import EventStore
from leadline.store.metadata.records import Account
from leadline.store.metadata.store import MetadataStore, open_metadata_store
from tests.query.agreement import assert_same_answer
from tests.query.strategies import DERIVED_AND_NEW_FIELDS, EVENTS, query_params, traffic

NOW = datetime(2026, 12, 1, tzinfo=UTC)


class Stores:
    def __init__(self, directory: Path) -> None:
        self.metadata: MetadataStore = open_metadata_store(f"sqlite:///{directory / 'meta.sqlite3'}")
        self.events: EventStore = open_event_store(f"duckdb:///{directory / 'events.duckdb'}")
        self.account: Account = self.metadata.accounts.create("Oracle", "oracle@example.com")
        self._names = itertools.count()

    def new_site(self) -> str:
        site = self.metadata.sites.create(self.account.id, {"name": f"site {next(self._names)}"})
        # Events get fixed ids so generated hits can name them.
        from leadline.store.metadata.tables import events

        with self.metadata.engine.begin() as connection:
            for name, event_id in EVENTS.items():
                connection.execute(
                    events.insert().values(site_id=site.id, id=event_id, name=name, created_at=NOW, updated_at=NOW)
                )
        return site.id


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    built = Stores(tmp_path_factory.mktemp("oracle"))
    yield built
    built.events.close()
    built.metadata.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_equal_the_oracle(stores: Stores, data: st.DataObject) -> None:
    check_one_report(stores, data, query_params)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_reports_by_exit_page_full_referrer_and_region_equal_the_oracle(stores: Stores, data: st.DataObject) -> None:
    check_one_report(stores, data, lambda site, start: query_params(site, start, fields=DERIVED_AND_NEW_FIELDS))


def check_one_report(
    stores: Stores, data: st.DataObject, queries: Callable[[str, int], st.SearchStrategy[dict[str, str]]]
) -> None:
    site_id = stores.new_site()
    generated = data.draw(traffic(site_id))
    stores.events.insert_hits(generated.hits)
    params = data.draw(queries(site_id, generated.window_start))
    query = parse_report_query(params, site_timezone="UTC")
    event_id = EVENTS.get(query.event_name or "", "") if query.event_name else None
    expected = expected_rows(query, generated.hits, NOW, event_id=event_id)
    assert_same_answer(run_report(query, stores.events, stores.metadata, now=NOW), expected)
